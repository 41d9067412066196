// json-editor ships no TypeScript types; this is the part the console uses.
declare module "@json-editor/json-editor" {
  export class JSONEditor {
    constructor(element: HTMLElement, options: Record<string, unknown>);
    getValue(): unknown;
    getEditor(path: string): { container: HTMLElement } | null;
  }
}

// Vite bundles imported stylesheets.
declare module "*.css";
