// Types of browser.cjs for the TypeScript tests (the module is plain JavaScript so that the pre-test
// step runs before any build).
export declare const SETTING: 'CHROME_PATH';

export type BrowserSearch =
  | { readonly found: true; readonly path: string; readonly how: string }
  | { readonly found: false; readonly message: string };

export interface SearchOptions {
  readonly platform: NodeJS.Platform;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The user's home folder (for ~/Applications on macOS). */
  readonly home: string;
  readonly isExecutable: (file: string) => boolean;
}

export type PretestPlan =
  | { readonly action: 'none'; readonly path: string }
  | { readonly action: 'apt-install' }
  | { readonly action: 'explain'; readonly message: string };

export declare function candidates(
  platform: NodeJS.Platform,
  env: Readonly<Record<string, string | undefined>>,
  home: string,
): string[];
export declare function installAdvice(platform: NodeJS.Platform): string;
/** An executable regular file: the check callers pass as `isExecutable`. */
export declare function isExecutableFile(file: string): boolean;
export declare function findBrowser(options: SearchOptions): BrowserSearch;
export declare function pretestPlan(state: {
  readonly search: BrowserSearch;
  readonly platform: NodeJS.Platform;
  readonly isRoot: boolean;
  readonly hasAptGet: boolean;
  readonly explicit: boolean;
}): PretestPlan;
