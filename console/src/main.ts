// The builder's console: sign in, connect an account, pick a trigger, fill
// its inputs from dropdowns, see real sample events, map them, send them
// somewhere, and watch them arrive. Every page is a view of the /v1 API.

import "./style.css";
import {
  api,
  ApiError,
  type Connection,
  type ConnectorSummary,
  type Delivery,
  type Operation,
  type Session,
  type StoredEvent,
  type Subscription,
} from "./api";
import { bestDaysChart, dailyChart, deliveriesChart } from "./charts";
import { schemaForm } from "./forms";
import { field, h, json, problemBox, show, table, toast } from "./ui";

let session: Session | null = null;

function problemOf(e: unknown): { detail: string; code?: string; field?: string } {
  if (e instanceof ApiError) return e.problem;
  return { detail: String(e) };
}

async function guarded(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (e) {
    const p = problemOf(e);
    if (e instanceof ApiError && e.problem.status === 401) {
      session = null;
      location.hash = "#/signin";
      return;
    }
    show(h("h1", {}, "Something went wrong"), problemBox(p.detail, p.code));
  }
}

function nav(): void {
  const links: [string, string][] = session?.kind === "admin"
    ? [["#/admin", "Workspaces"]]
    : session
      ? [["#/connections", "Connections"], ["#/connectors", "Connectors"], ["#/subscriptions", "Subscriptions"]]
      : [];
  const out = session
    ? h("button", { type: "button", class: "link", onclick: () => void signOut() }, "Sign out")
    : null;
  document.getElementById("nav")!.replaceChildren(
    ...links.map(([href, label]) => h("a", { href, "aria-current": location.hash.startsWith(href) ? "page" : undefined }, label)),
    ...(out ? [out] : []),
  );
}

// ---------------------------------------------------------------- sign in

function signInPage(): void {
  const key = h("input", { type: "password", name: "key", autocomplete: "current-password", required: true }) as HTMLInputElement;
  const status = h("div");
  const form = h(
    "form",
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        void (async () => {
          try {
            session = await api<Session>("POST", "/v1/console/session", { key: key.value });
            location.hash = session.kind === "admin" ? "#/admin" : "#/connections";
          } catch (err) {
            status.replaceChildren(problemBox(problemOf(err).detail));
          }
        })();
      },
    },
    field("API key", key, "A workspace's API key, or the admin key to manage workspaces."),
    h("button", { type: "submit" }, "Sign in"),
    status,
  );
  show(h("h1", {}, "Sign in"), form);
}

async function signOut(): Promise<void> {
  await api("DELETE", "/v1/console/session").catch(() => undefined);
  session = null;
  location.hash = "#/signin";
}

// ---------------------------------------------------------------- connections

// A reconnect names no base URL: the server goes back to the connection's own.
function oauthPopup(connector: string, name: string, after: () => void, baseUrl?: string): Promise<void> {
  return (async () => {
    const { authorizeUrl } = await api<{ authorizeUrl: string }>("POST", "/v1/connections/oauth", {
      name,
      connector,
      baseUrl: baseUrl || undefined,
    });
    const popup = window.open(authorizeUrl, "weft-oauth", "width=520,height=680");
    const done = (event: MessageEvent) => {
      if (event.origin !== location.origin) return;
      if (event.data?.type === "weft-oauth-failed") {
        window.removeEventListener("message", done);
        toast(`Not connected: ${event.data.detail}`);
        return;
      }
      if (event.data?.type !== "weft-connected") return;
      window.removeEventListener("message", done);
      toast(`Connected ${event.data.name}`);
      after();
    };
    window.addEventListener("message", done);
    if (!popup) toast("Allow pop-ups for this page to connect with OAuth");
  })();
}

async function connectionsPage(): Promise<void> {
  const [connections, connectors] = await Promise.all([
    api<Connection[]>("GET", "/v1/connections"),
    api<ConnectorSummary[]>("GET", "/v1/connectors"),
  ]);
  const refresh = () => void guarded(connectionsPage);
  const rows = table(["Name", "Connector", "Kind", "Status", "Facts", ""], connections, (c) => [
    c.name,
    c.connector,
    c.kind,
    h("span", { class: `status ${c.status}` }, c.status === "active" ? "active" : "reconnect required"),
    h("code", {}, Object.entries(c.facts).filter(([, v]) => v !== null && v !== "").map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(" ") : v}`).join(", ")),
    h(
      "div",
      { class: "actions" },
      c.status === "reconnect-required" || c.kind === "oauth2"
        ? h("button", { type: "button", onclick: () => void guarded(() => oauthPopup(c.connector, c.name, refresh)) }, "Reconnect")
        : null,
      h("button", {
        type: "button",
        onclick: () =>
          void guarded(async () => {
            const r = await api<{ ok: boolean; action: string }>("POST", `/v1/connections/${c.name}/test`);
            toast(r.ok ? `${c.name} works (${r.action})` : `${c.name} does not work`);
          }),
      }, "Test"),
      c.connector === "ghl-social-planner"
        ? h("a", { href: `#/insights/${encodeURIComponent(c.name)}` }, "Insights")
        : null,
      h("button", {
        type: "button",
        class: "danger",
        onclick: () =>
          void guarded(async () => {
            if (!confirm(`Remove the connection ${c.name}?`)) return;
            await api("DELETE", `/v1/connections/${c.name}`);
            refresh();
          }),
      }, "Remove"),
    ),
  ]);
  const connector = h("select", { name: "connector" }, ...connectors.map((c) => h("option", { value: c.id }, c.name))) as HTMLSelectElement;
  const name = h("input", { name: "name", required: true, pattern: "[A-Za-z0-9][A-Za-z0-9._-]{0,63}" }) as HTMLInputElement;
  const token = h("input", { name: "token", type: "password", autocomplete: "off" }) as HTMLInputElement;
  const location_ = h("input", { name: "locationId" }) as HTMLInputElement;
  const baseUrl = h("input", { name: "baseUrl", type: "url", placeholder: "https://services.leadconnectorhq.com" }) as HTMLInputElement;
  const status = h("div");
  const connectToken = async () => {
    await api("POST", "/v1/connections", {
      name: name.value,
      connector: connector.value,
      token: token.value,
      locationId: location_.value || undefined,
      baseUrl: baseUrl.value || undefined,
    });
    toast(`Connected ${name.value}`);
    refresh();
  };
  const form = h(
    "form",
    { class: "card", onsubmit: (e: Event) => e.preventDefault() },
    h("h2", {}, "Connect an account"),
    field("Connector", connector),
    field("Name", name, "Letters, digits, dashes, underscores and dots."),
    field("API base URL (optional)", baseUrl, "Only for a white-label host or the simulator."),
    h("div", { class: "row" },
      h("button", { type: "button", onclick: () => void oauthPopup(connector.value, name.value, refresh, baseUrl.value).catch((e) => status.replaceChildren(problemBox(problemOf(e).detail))) }, "Connect with OAuth"),
    ),
    h("p", {}, "Or with a private integration token:"),
    field("Private integration token", token),
    field("Location id", location_),
    h("button", { type: "button", onclick: () => void connectToken().catch((e) => status.replaceChildren(problemBox(problemOf(e).detail))) }, "Connect with the token"),
    status,
  );
  show(h("h1", {}, "Connections"), connections.length ? rows : h("p", {}, "No connection yet."), form);
}

// ---------------------------------------------------------------- connectors

async function connectorsPage(): Promise<void> {
  const connectors = await api<ConnectorSummary[]>("GET", "/v1/connectors");
  show(
    h("h1", {}, "Connectors"),
    ...connectors.map((c) =>
      h(
        "section",
        { class: "card" },
        h("h2", {}, `${c.name} `, h("small", {}, `${c.version} · WIT ${c.witVersion ?? "?"}`)),
        h("p", {}, c.description),
        h("h3", {}, "Triggers"),
        h("ul", {}, ...c.triggers.map((t) => h("li", {},
          h("a", { href: t.delivery === "instant" ? `#/subscribe/${c.id}/${t.key}` : `#/run/${c.id}/trigger/${t.key}` }, t.label),
          " ",
          h("span", { class: `badge ${t.delivery ?? "polled"}`, title: t.delivery === "instant" ? "fires within a second, from GHL's webhooks" : "checked on a schedule" }, t.delivery ?? "polled"),
        ))),
        h("h3", {}, "Actions"),
        h("ul", { class: "columns" }, ...c.actions.map((a) => h("li", {}, h("a", { href: `#/run/${c.id}/action/${a.key}` }, a.label)))),
      ),
    ),
  );
}

async function connectionPicker(connector: string): Promise<HTMLSelectElement> {
  const connections = (await api<Connection[]>("GET", "/v1/connections")).filter((c) => c.connector === connector);
  return h("select", { name: "connection" }, ...connections.map((c) => h("option", { value: c.name }, c.name))) as HTMLSelectElement;
}

async function runPage(connector: string, kind: "trigger" | "action", key: string): Promise<void> {
  const op = await api<Operation>("GET", `/v1/connectors/${connector}/${kind}s/${key}`);
  const connection = await connectionPicker(connector);
  const holder = h("div");
  const result = h("div", { class: "result", "aria-live": "polite" });
  let form = await schemaForm(connector, op, connection.value || undefined);
  holder.replaceChildren(form.element);
  connection.addEventListener("change", () =>
    void schemaForm(connector, op, connection.value).then((f) => {
      form = f;
      holder.replaceChildren(f.element);
    }),
  );
  const run = async () => {
    form.clearErrors();
    result.replaceChildren(h("p", {}, "Running…"));
    try {
      if (kind === "action") {
        const out = await api<{ output: unknown }>("POST", `/v1/connectors/${connector}/actions/${key}/run`, {
          connection: connection.value,
          input: form.value(),
        });
        result.replaceChildren(h("h2", {}, "Output"), json(out.output));
      } else {
        const out = await api<{ events: { id: string; data: unknown }[] }>("POST", `/v1/connectors/${connector}/triggers/${key}/test`, {
          connection: connection.value,
          input: form.value(),
        });
        result.replaceChildren(
          h("h2", {}, `${out.events.length} event(s) from a real poll`),
          ...(out.events.length ? out.events.map((e) => json(e.data)) : [h("p", {}, "Nothing to show yet: the trigger found no items.")]),
        );
      }
    } catch (e) {
      const p = problemOf(e);
      form.showError(p.field, p.detail);
      result.replaceChildren(problemBox(p.detail, p.code));
    }
  };
  show(
    h("h1", {}, op.label),
    h("p", {}, op.help),
    field("Connection", connection),
    holder,
    h("button", { type: "button", onclick: () => void run() }, kind === "action" ? "Run action" : "Test trigger"),
    kind === "trigger" ? h("a", { class: "button", href: `#/subscribe/${connector}/${key}` }, "Subscribe…") : null,
    result,
    h("details", {}, h("summary", {}, "Sample output"), json(op.sample)),
  );
}

// ---------------------------------------------------------------- subscriptions

async function subscribePage(connector: string, trigger: string): Promise<void> {
  const op = await api<Operation>("GET", `/v1/connectors/${connector}/triggers/${trigger}`);
  const connection = await connectionPicker(connector);
  const holder = h("div");
  let form = await schemaForm(connector, op, connection.value || undefined);
  holder.replaceChildren(form.element);
  const name = h("input", { name: "name", required: true, value: trigger }) as HTMLInputElement;
  const start = h("select", { name: "start" }, h("option", { value: "now" }, "from now on"), h("option", { value: "all" }, "everything that exists, then what is new")) as HTMLSelectElement;
  const destination = h("input", { name: "destination", type: "url", required: true, placeholder: "https://hooks.example.com/weft" }) as HTMLInputElement;
  const mapping = h("textarea", { name: "mapping", rows: "4", spellcheck: "false", placeholder: "{name: .tag, id: ._id}" }) as HTMLTextAreaElement;
  const mappingError = h("div", { class: "mapping-error", "aria-live": "polite" });
  const destinationSchema = h("textarea", { name: "destinationSchema", rows: "4", spellcheck: "false", placeholder: '{"type": "object", "required": ["name"]}' }) as HTMLTextAreaElement;
  const schemaError = h("div", { class: "mapping-error", "aria-live": "polite" });
  // The preview maps the trigger's sample until the builder loads a real event.
  let data: unknown = op.sample;
  const source = h("p", { class: "help" }, "Previewing on the trigger's sample.");
  const preview = h("div", { class: "preview", "aria-live": "polite" }, json(op.sample));
  const status = h("div");
  let timer = 0;
  const runPreview = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void (async () => {
      mappingError.replaceChildren();
      if (!mapping.value.trim()) {
        preview.replaceChildren(json(data));
        return;
      }
      try {
        const out = await api<{ output: unknown }>("POST", "/v1/mapping/preview", { connector, trigger, mapping: mapping.value, data });
        preview.replaceChildren(json(out.output));
      } catch (e) {
        mappingError.replaceChildren(problemBox(problemOf(e).detail));
      }
    })(), 300);
  };
  mapping.addEventListener("input", runPreview);
  const loadEvent = async () => {
    status.replaceChildren();
    try {
      const out = await api<{ events: { id: string; data: unknown }[]; found: number }>(
        "POST", `/v1/connectors/${connector}/triggers/${trigger}/test`, { connection: connection.value, input: form.value() },
      );
      if (!out.events.length) {
        source.textContent = "The trigger found no items yet; previewing on its sample.";
        return;
      }
      data = out.events[0].data;
      source.textContent = `Previewing on the newest of ${out.found} real item(s): ${out.events[0].id}.`;
      runPreview();
    } catch (e) {
      const p = problemOf(e);
      status.replaceChildren(problemBox(p.detail, p.code));
    }
  };
  const create = async () => {
    form.clearErrors();
    mappingError.replaceChildren();
    schemaError.replaceChildren();
    status.replaceChildren();
    let schema: unknown = undefined;
    if (destinationSchema.value.trim()) {
      try {
        schema = JSON.parse(destinationSchema.value);
      } catch (e) {
        schemaError.replaceChildren(problemBox(`The destination schema is not JSON: ${(e as Error).message}`));
        return;
      }
    }
    try {
      const created = await api<{ subscription: Subscription; webhookSecret?: string }>("POST", "/v1/subscriptions", {
        name: name.value,
        connector,
        trigger,
        connection: connection.value,
        input: form.value(),
        start: start.value,
        destination: destination.value,
        mapping: mapping.value.trim() || undefined,
        destinationSchema: schema,
      });
      if (created.webhookSecret) toast(`Signing secret (shown once): ${created.webhookSecret}`);
      location.hash = `#/subscriptions/${encodeURIComponent(created.subscription.name)}`;
    } catch (e) {
      const p = problemOf(e);
      if (p.field === "/mapping") mappingError.replaceChildren(problemBox(p.detail));
      else if (p.field === "/destinationSchema") schemaError.replaceChildren(problemBox(p.detail));
      else if (p.field && p.field.startsWith("/input")) form.showError(p.field.slice("/input".length), p.detail);
      else status.replaceChildren(problemBox(p.detail, p.code));
    }
  };
  show(
    h("h1", {}, `Subscribe to “${op.label}”`),
    field("Name", name),
    field("Connection", connection),
    h("h2", {}, "Input"),
    holder,
    field("Start", start),
    field("Deliver to (webhook URL)", destination),
    h("h2", {}, "Mapping"),
    field("jq program (optional)", mapping, "Shapes each event's data before delivery, e.g. {name: .tag, id: ._id}."),
    mappingError,
    h("h3", {}, "Preview"),
    h("div", { class: "row" }, source, h("button", { type: "button", onclick: () => void loadEvent() }, "Load a real event")),
    preview,
    h(
      "details",
      {},
      h("summary", {}, "Destination schema (advanced)"),
      field("JSON Schema the mapped data must match (optional)", destinationSchema, "An event whose data does not match is kept as a dead letter, with the reason, to replay once fixed."),
      schemaError,
    ),
    h("button", { type: "button", onclick: () => void create() }, "Create subscription"),
    status,
  );
}

async function subscriptionsPage(): Promise<void> {
  const subs = await api<Subscription[]>("GET", "/v1/subscriptions");
  show(
    h("h1", {}, "Subscriptions"),
    subs.length
      ? table(["Name", "Trigger", "State", "Last error", ""], subs, (s) => [
          h("a", { href: `#/subscriptions/${encodeURIComponent(s.name)}` }, s.name),
          `${s.connector} / ${s.trigger}`,
          h("span", { class: `status ${s.state}` }, s.state),
          s.deliveryError ?? s.lastError ?? "",
          "",
        ])
      : h("p", {}, "No subscription yet: pick a trigger under Connectors."),
  );
}

async function subscriptionPage(name: string): Promise<void> {
  const path = `/v1/subscriptions/${encodeURIComponent(name)}`;
  const [sub, page, deliveries] = await Promise.all([
    api<Subscription>("GET", path),
    api<{ events: StoredEvent[] }>("GET", `${path}/events?after=0&limit=100`),
    api<Delivery[]>("GET", `${path}/deliveries`),
  ]);
  const reload = () => void guarded(() => subscriptionPage(name));
  const act = (verb: string) => () => void guarded(async () => {
    await api("POST", `${path}/${verb}`);
    reload();
  });
  const dead = deliveries.filter((d) => d.status === "dead").length;
  const mapping = h("textarea", { name: "mapping", rows: "3", spellcheck: "false" }, sub.mapping ?? "") as HTMLTextAreaElement;
  const mappingStatus = h("div", { "aria-live": "polite" });
  show(
    h("h1", {}, sub.name),
    h("p", {}, `${sub.connector} / ${sub.trigger} on ${sub.connection} → ${sub.destination.url ?? sub.destination.type}`),
    h("p", {}, "State: ", h("span", { class: `status ${sub.state}` }, sub.state), sub.stateReason ? ` — ${sub.stateReason}` : ""),
    sub.lastError ? problemBox(`Last poll error: ${sub.lastError}`) : null,
    sub.deliveryError ? problemBox(`Deliveries failing since ${sub.deliveryFailingSince}: ${sub.deliveryError}`) : null,
    h(
      "div",
      { class: "row" },
      sub.state === "active"
        ? h("button", { type: "button", onclick: act("pause") }, "Pause")
        : h("button", { type: "button", onclick: act("resume") }, "Resume"),
      h("button", {
        type: "button",
        disabled: dead === 0,
        onclick: () => void guarded(async () => {
          const r = await api<{ replayed: number }>("POST", `${path}/deliveries/replay`, {});
          toast(`Replayed ${r.replayed} dead letter(s)`);
          reload();
        }),
      }, `Replay dead letters (${dead})`),
      h("button", {
        type: "button",
        class: "danger",
        onclick: () => void guarded(async () => {
          if (!confirm(`Delete ${sub.name}?`)) return;
          await api("DELETE", path);
          location.hash = "#/subscriptions";
        }),
      }, "Delete"),
    ),
    h("h2", {}, "Mapping"),
    field("jq program", mapping),
    h("button", {
      type: "button",
      onclick: () => void (async () => {
        mappingStatus.replaceChildren();
        try {
          await api("PATCH", path, { mapping: mapping.value.trim() || null });
          toast("Mapping saved");
        } catch (e) {
          mappingStatus.replaceChildren(problemBox(problemOf(e).detail));
        }
      })(),
    }, "Save mapping"),
    mappingStatus,
    h("h2", {}, "Over time"),
    deliveriesChart(deliveries),
    h("h2", {}, "Deliveries"),
    table(["Event", "Status", "Attempts", "Last error"], deliveries, (d) => [
      d.event.eventId,
      h("span", { class: `status ${d.status}` }, d.status),
      String(d.attempts),
      d.lastError ?? "",
    ]),
    h("h2", {}, "Events"),
    table(["#", "Event", "Data"], page.events, (e) => [String(e.seq), e.eventId, json(e.data)]),
  );
}

// ---------------------------------------------------------------- insights

async function insightsPage(connection: string): Promise<void> {
  const run = <T>(action: string, input: unknown) =>
    api<{ output: T }>("POST", `/v1/connectors/ghl-social-planner/actions/${action}/run`, { connection, input }).then((r) => r.output);
  const accounts = await run<{ accounts: { id: string; name?: string; platform?: string; profileId?: string }[] }>("list-accounts", {});
  const profiles = accounts.accounts.filter((a) => a.profileId);
  const out = h("div");
  const pick = h("select", { name: "account" }, ...profiles.map((a) => h("option", { value: a.profileId! }, `${a.name ?? a.id} (${a.platform ?? "?"})`))) as HTMLSelectElement;
  const draw = async () => {
    const ids = [pick.value];
    const [stats, best] = await Promise.all([
      run<{ statistics: { dayRange: string[]; postPerformance: Record<string, number[]> } }>("get-statistics", { profileIds: ids }),
      run<{ figures: { weekday: string; engagementPerPost: number }[]; basis: string; nextSlot?: string }>("best-posting-times", { profileIds: ids }),
    ]);
    const perf = stats.statistics.postPerformance;
    const series: Record<string, number[]> = {};
    for (const k of ["likes", "comments", "impressions"]) if (Array.isArray(perf[k])) series[k] = perf[k] as number[];
    out.replaceChildren(
      dailyChart("The last 7 days", stats.statistics.dayRange, series),
      bestDaysChart(best.figures),
      h("p", {}, best.basis, best.nextSlot ? `; next best slot ${best.nextSlot}` : ""),
    );
  };
  pick.addEventListener("change", () => void guarded(draw));
  show(h("h1", {}, `Insights: ${connection}`), profiles.length ? field("Account", pick) : h("p", {}, "No connected social account."), out);
  if (profiles.length) await draw();
}

// ---------------------------------------------------------------- admin

async function adminPage(): Promise<void> {
  const workspaces = await api<{ name: string }[]>("GET", "/v1/workspaces");
  const sections = await Promise.all(
    workspaces.map(async (w) => {
      const keys = await api<{ id: string; label: string; createdAt: string; expiresAt?: string; revokedAt?: string }[]>("GET", `/v1/workspaces/${w.name}/api-keys`);
      const shown = h("div", { "aria-live": "polite" });
      const label = h("input", { name: `label-${w.name}` }) as HTMLInputElement;
      return h(
        "section",
        { class: "card" },
        h("h2", {}, w.name),
        table(["Key", "Label", "Created", "State", ""], keys, (k) => [
          k.id,
          k.label,
          k.createdAt,
          k.revokedAt ? `revoked ${k.revokedAt}` : k.expiresAt ? `expires ${k.expiresAt}` : "active",
          k.revokedAt
            ? ""
            : h("button", {
                type: "button",
                class: "danger",
                onclick: () => void guarded(async () => {
                  await api("DELETE", `/v1/workspaces/${w.name}/api-keys/${k.id}`);
                  void guarded(adminPage);
                }),
              }, "Revoke"),
        ]),
        field("Label of a new key", label),
        h("button", {
          type: "button",
          onclick: () => void guarded(async () => {
            const created = await api<{ key: string }>("POST", `/v1/workspaces/${w.name}/api-keys`, { label: label.value });
            shown.replaceChildren(h("p", {}, "New key (shown once): ", h("code", {}, created.key)));
          }),
        }, "Create key"),
        shown,
      );
    }),
  );
  const name = h("input", { name: "workspace", pattern: "[a-z0-9][a-z0-9-]{0,63}" }) as HTMLInputElement;
  const status = h("div");
  show(
    h("h1", {}, "Workspaces"),
    ...sections,
    h("form", {
      class: "card",
      onsubmit: (e: Event) => {
        e.preventDefault();
        void api("POST", "/v1/workspaces", { name: name.value })
          .then(() => guarded(adminPage))
          .catch((err) => status.replaceChildren(problemBox(problemOf(err).detail)));
      },
    }, h("h2", {}, "New workspace"), field("Name", name, "Lowercase letters, digits and dashes."), h("button", { type: "submit" }, "Create"), status),
  );
}

// ---------------------------------------------------------------- routing

async function route(): Promise<void> {
  if (!session) session = await api<Session>("GET", "/v1/console/session").catch(() => null);
  nav();
  const [, page, ...rest] = location.hash.replace(/^#/, "").split("/").map(decodeURIComponent);
  if (!session) return signInPage();
  switch (page) {
    case "signin":
      return signInPage();
    case "admin":
      return guarded(adminPage);
    case "connectors":
      return guarded(connectorsPage);
    case "run":
      return guarded(() => runPage(rest[0], rest[1] as "trigger" | "action", rest[2]));
    case "subscribe":
      return guarded(() => subscribePage(rest[0], rest[1]));
    case "subscriptions":
      return guarded(() => (rest[0] ? subscriptionPage(rest[0]) : subscriptionsPage()));
    case "insights":
      return guarded(() => insightsPage(rest[0]));
    default:
      location.hash = session.kind === "admin" ? "#/admin" : "#/connections";
      return;
    case "connections":
      return guarded(connectionsPage);
  }
}

window.addEventListener("hashchange", () => void route());
void route();
