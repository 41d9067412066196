// Input forms generated from a trigger's or action's JSON Schema with
// json-editor, dynamic dropdowns filled through the connector's `options`
// export, and the host's validation messages shown beside the field.

import { JSONEditor } from "@json-editor/json-editor";
import { api, type Choice, type Operation } from "./api";
import { h } from "./ui";

/** What a generated form gives back. */
export interface SchemaForm {
  element: HTMLElement;
  value(): Record<string, unknown>;
  /** Shows `message` beside the field a JSON pointer names (`/limit`). */
  showError(pointer: string | undefined, message: string): void;
  clearErrors(): void;
}

type Schema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> };

/**
 * The schema as a form reads it best: an optional field's `null` alternative
 * (`["string", "null"]`, or `anyOf` with `{type: "null"}`) dropped, since an
 * empty field already means "not given"; the root's title and description
 * left to the page, which shows the operation's label and help.
 */
function simplify(node: unknown): void {
  if (!node || typeof node !== "object") return;
  if (Array.isArray(node)) return node.forEach(simplify);
  const schema = node as Record<string, unknown>;
  if (Array.isArray(schema.type)) {
    const types = (schema.type as string[]).filter((t) => t !== "null");
    schema.type = types.length === 1 ? types[0] : types;
  }
  for (const key of ["anyOf", "oneOf"]) {
    const options = schema[key];
    if (!Array.isArray(options)) continue;
    const kept = options.filter((o) => !(o && typeof o === "object" && (o as Record<string, unknown>).type === "null"));
    if (kept.length === 1 && kept.length < options.length) {
      delete schema[key];
      Object.assign(schema, kept[0]);
    }
  }
  const properties = schema.properties;
  if (properties && typeof properties === "object") {
    for (const [key, property] of Object.entries(properties as Record<string, Record<string, unknown>>)) {
      // `searchText` reads as "Search text".
      if (property && typeof property === "object" && !property.title) {
        const words = key.replace(/([a-z0-9])([A-Z])/g, "$1 $2").toLowerCase();
        property.title = words.charAt(0).toUpperCase() + words.slice(1);
      }
    }
  }
  for (const value of Object.values(schema)) simplify(value);
}

/** The operation's input schema with each dynamic field's choices as an enum. */
async function withChoices(
  connector: string,
  operation: Operation,
  connection: string | undefined,
): Promise<Schema> {
  const schema: Schema = JSON.parse(JSON.stringify(operation.inputSchema));
  delete schema["$schema"];
  delete schema.title;
  delete schema.description;
  simplify(schema);
  for (const dynamic of operation.dynamicOptions ?? []) {
    const property = schema.properties?.[dynamic.field];
    if (!property || !connection) continue;
    try {
      const choices = await api<Choice[]>("POST", `/v1/connectors/${connector}/options`, {
        key: operation.key,
        field: dynamic.field,
        connection,
        input: {},
      });
      const target = property.type === "array" ? ((property.items as Schema) ?? (property.items = {})) : property;
      target.enum = choices.map((c) => c.value);
      target.options = { enum_titles: choices.map((c) => c.label) };
      if (property.type === "array") property.format = "select";
      property.description = `${property.description ?? ""} (${dynamic.help})`.trim();
    } catch {
      property.description = `${property.description ?? ""} (choices could not be loaded)`.trim();
    }
  }
  return schema;
}

/** A form for `operation`'s input, with dropdowns filled from `connection`. */
export async function schemaForm(
  connector: string,
  operation: Operation,
  connection: string | undefined,
  initial?: unknown,
): Promise<SchemaForm> {
  const element = h("div", { class: "schema-form" });
  const schema = await withChoices(connector, operation, connection);
  const editor = new JSONEditor(element, {
    schema,
    // Only when given: json-editor drops every optional field when `startval` is present but undefined.
    ...(initial === undefined ? {} : { startval: initial }),
    theme: "html",
    iconlib: null,
    disable_collapse: true,
    disable_edit_json: true,
    disable_properties: true,
    disable_array_reorder: true,
    show_errors: "interaction",
    no_additional_properties: true,
    required_by_default: false,
    display_required_only: false,
  });
  const errors: HTMLElement[] = [];
  return {
    element,
    value: () => (editor.getValue() ?? {}) as Record<string, unknown>,
    showError(pointer, message) {
      const path = pointer ? `root.${pointer.replace(/^\//, "").split("/").join(".")}` : "root";
      const target = (editor.getEditor(path) ?? editor.getEditor("root"))?.container as HTMLElement | undefined;
      const box = h("p", { class: "problem field-error", role: "alert" }, message);
      (target ?? element).append(box);
      errors.push(box);
      target?.querySelector<HTMLElement>("input,select,textarea")?.setAttribute("aria-invalid", "true");
    },
    clearErrors() {
      errors.splice(0).forEach((e) => e.remove());
      element.querySelectorAll("[aria-invalid]").forEach((e) => e.removeAttribute("aria-invalid"));
    },
  };
}
