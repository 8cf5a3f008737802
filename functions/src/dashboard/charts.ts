import {
  ArcElement,
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  DoughnutController,
  LinearScale,
  Tooltip,
} from 'chart.js';
import type { MinuteSeries } from '../shared/dashboard-model';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  LinearScale,
  Tooltip,
  DoughnutController,
  ArcElement,
);

function cssColor(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** The two charts, created once and updated in place on every poll (no animation: the data moves). */
export class Charts {
  private perMinute: Chart<'bar', number[], string> | undefined;
  private labels: Chart<'doughnut', number[], string> | undefined;

  constructor(
    private readonly perMinuteCanvas: HTMLCanvasElement,
    private readonly labelsCanvas: HTMLCanvasElement,
  ) {}

  update(series: MinuteSeries, damage: number, noDamage: number): void {
    if (!this.perMinute) this.perMinute = this.createPerMinute();
    this.perMinute.data.labels = series.labels;
    this.perMinute.data.datasets[0]!.data = series.counts;
    this.perMinute.update('none');
    if (!this.labels) this.labels = this.createLabels();
    this.labels.data.datasets[0]!.data = [damage, noDamage];
    this.labels.update('none');
  }

  /** Re-reads the theme's colors (the system switched between light and dark). */
  restyle(): void {
    for (const chart of [this.perMinute, this.labels]) chart?.destroy();
    const perMinute = this.perMinute?.data;
    const labels = this.labels?.data;
    this.perMinute = perMinute
      ? this.createPerMinute(perMinute.labels ?? [], perMinute.datasets[0]!.data)
      : undefined;
    this.labels = labels ? this.createLabels(labels.datasets[0]!.data) : undefined;
  }

  private createPerMinute(labels: string[] = [], data: number[] = []): Chart<'bar', number[], string> {
    const text = cssColor('--muted');
    const grid = cssColor('--grid');
    return new Chart(this.perMinuteCanvas, {
      type: 'bar',
      data: {
        labels,
        datasets: [{ label: 'Events stored', data, backgroundColor: cssColor('--accent'), borderRadius: 2 }],
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        plugins: {
          tooltip: { callbacks: { label: (item) => `${item.formattedValue} events` } },
        },
        scales: {
          x: {
            ticks: { color: text, maxRotation: 0, autoSkip: true, maxTicksLimit: 7 },
            grid: { display: false },
          },
          y: {
            beginAtZero: true,
            ticks: { color: text, precision: 0 },
            grid: { color: grid },
            title: { display: true, text: 'events / minute', color: text },
          },
        },
      },
    });
  }

  private createLabels(data: number[] = [0, 0]): Chart<'doughnut', number[], string> {
    return new Chart(this.labelsCanvas, {
      type: 'doughnut',
      data: {
        labels: ['Damage', 'No damage'],
        datasets: [
          {
            data,
            backgroundColor: [cssColor('--damage'), cssColor('--no-damage')],
            borderColor: cssColor('--surface'),
            borderWidth: 2,
          },
        ],
      },
      options: { animation: false, responsive: true, maintainAspectRatio: false, cutout: '60%' },
    });
  }
}
