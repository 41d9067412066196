// Small DOM helpers: elements built from code, text always set as text (never
// as HTML), so nothing an API answers can inject markup.

type Child = Node | string | null | undefined | false;
type Attrs = Record<string, string | boolean | ((event: Event) => void) | undefined>;

/** An element with attributes (`on…` keys become listeners) and children. */
export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, "");
    else element.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child);
  }
  return element;
}

/** Replaces the page's content. */
export function show(...children: Child[]): void {
  const main = document.getElementById("main")!;
  main.replaceChildren(...(children.filter(Boolean) as (Node | string)[]));
  main.focus();
}

/** A short message for assistive technology and eyes, cleared after a while. */
export function toast(message: string): void {
  const box = document.getElementById("toast")!;
  box.textContent = message;
  window.setTimeout(() => {
    if (box.textContent === message) box.textContent = "";
  }, 5000);
}

/** A labelled input; the label is tied to it by id. */
export function field(label: string, input: HTMLElement, help?: string): HTMLElement {
  const id = input.id || `f-${Math.random().toString(36).slice(2)}`;
  input.id = id;
  const helpId = help ? `${id}-help` : undefined;
  if (helpId) input.setAttribute("aria-describedby", helpId);
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    input,
    help ? h("p", { class: "help", id: helpId }, help) : null,
  );
}

/** A table of rows; `cells` turns a row into its cells. */
export function table<T>(headers: string[], rows: T[], cells: (row: T) => Child[]): HTMLElement {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, ...headers.map((c) => h("th", { scope: "col" }, c)))),
    h("tbody", {}, ...rows.map((row) => h("tr", {}, ...cells(row).map((c) => h("td", {}, c))))),
  );
}

/** JSON, pretty, in a `<pre>`. */
export function json(value: unknown): HTMLElement {
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

/** A problem's words, where a reader expects them. */
export function problemBox(detail: string, code?: string): HTMLElement {
  return h("p", { class: "problem", role: "alert" }, code ? `${detail} (${code})` : detail);
}
