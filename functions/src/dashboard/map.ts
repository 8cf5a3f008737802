import { geoMercator, geoPath } from 'd3-geo';
import type { ExtendedFeatureCollection } from 'd3-geo';
import { mapBounds, formatCount } from '../shared/dashboard-model';
import type { MapPoint } from '@pipeline/schemas';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 640;
const HEIGHT = 420;

/**
 * The image locations over the Texas and Louisiana outlines (us-atlas, extracted at build time into
 * map.json beside the page): an SVG, so each point is an element with a title a screen reader can reach.
 */
export class LocationMap {
  private land: ExtendedFeatureCollection | undefined;
  private drawnKey = '';

  constructor(private readonly svg: SVGSVGElement) {}

  async load(url: string): Promise<void> {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`map outline: ${response.status}`);
    this.land = (await response.json()) as ExtendedFeatureCollection;
    this.drawnKey = '';
  }

  draw(points: readonly MapPoint[]): void {
    const key = points.map((p) => `${p.longitude},${p.latitude},${p.label}`).join(';');
    if (key === this.drawnKey) return; // unchanged since the last poll: keep the DOM as it is
    this.drawnKey = key;
    const b = mapBounds(points);
    const frame: ExtendedFeatureCollection = {
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: {},
          geometry: {
            type: 'MultiPoint',
            coordinates: [
              [b.west, b.south],
              [b.east, b.north],
            ],
          },
        },
      ],
    };
    const projection = geoMercator().fitExtent(
      [
        [12, 12],
        [WIDTH - 12, HEIGHT - 12],
      ],
      frame,
    );
    const path = geoPath(projection);

    const landGroup = this.svg.querySelector('g.land')!;
    landGroup.replaceChildren(
      ...(this.land?.features ?? []).map((feature) => {
        const element = document.createElementNS(SVG, 'path');
        element.setAttribute('d', path(feature) ?? '');
        return element;
      }),
    );
    const pointGroup = this.svg.querySelector('g.points')!;
    pointGroup.replaceChildren(
      ...points.map((point) => {
        const [x, y] = projection([point.longitude, point.latitude]) ?? [NaN, NaN];
        const circle = document.createElementNS(SVG, 'circle');
        circle.setAttribute('cx', x.toFixed(1));
        circle.setAttribute('cy', y.toFixed(1));
        circle.setAttribute('r', '4');
        circle.setAttribute('class', point.label);
        circle.dataset.longitude = String(point.longitude);
        circle.dataset.latitude = String(point.latitude);
        const title = document.createElementNS(SVG, 'title');
        title.textContent = `${point.latitude.toFixed(4)}° N, ${Math.abs(point.longitude).toFixed(4)}° W: ${
          point.label === 'damage' ? 'damage' : 'no damage'
        } (${formatCount(point.damage)} damage, ${formatCount(point.noDamage)} no damage)`;
        circle.append(title);
        return circle;
      }),
    );
    const damaged = points.filter((p) => p.label === 'damage').length;
    this.svg.querySelector('title')!.textContent = points.length
      ? `Map of the Texas and Louisiana coast with ${formatCount(points.length)} image locations: ${formatCount(damaged)} labelled damage, ${formatCount(points.length - damaged)} no damage`
      : 'Map of the Texas and Louisiana coast with no image locations yet';
  }
}
