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

/** The operation's input schema with each dynamic field's choices as an enum. */
async function withChoices(
  connector: string,
  operation: Operation,
  connection: string | undefined,
): Promise<Schema> {
  const schema: Schema = JSON.parse(JSON.stringify(operation.inputSchema));
  delete schema["$schema"];
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
    startval: initial,
    theme: "html",
    iconlib: null,
    disable_collapse: true,
    disable_edit_json: true,
    disable_properties: false,
    disable_array_reorder: true,
    show_errors: "interaction",
    no_additional_properties: true,
    remove_empty_properties: true,
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
