// The builder's console in a real Chromium, driven as a builder would use it,
// against a running `weft serve`, the GHL simulator and a webhook receiver.
// Started by tests/all/console_browser.rs, which checks at the receiver what
// arrived. Every step prints one JSON line; a failed step exits non-zero.
//
// Environment: WEFT_URL, WEFT_KEY (a workspace's API key), WEFT_ADMIN_KEY,
// SIM_URL, SIM_LOCATION, HOOK_URL, CHROMIUM (the browser's path), and
// SCREENSHOTS (a directory; pictures are taken only when it is set).

import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};
const weft = env("WEFT_URL");
const key = env("WEFT_KEY");
const adminKey = env("WEFT_ADMIN_KEY");
const sim = env("SIM_URL");
const location = env("SIM_LOCATION");
const hook = env("HOOK_URL");
const shots = process.env.SCREENSHOTS;
if (shots) mkdirSync(shots, { recursive: true });

const say = (step, extra = {}) => console.log(JSON.stringify({ step, ...extra }));
const WAIT = { timeout: 20_000 };

/** Changes the simulated GHL location, as someone working in GHL would. */
async function simAdmin(method, path, body) {
  const response = await fetch(`${sim}/_sim/locations/${location}/${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`the simulator refused ${method} ${path}: ${response.status}`);
  return response.json();
}

async function addTag(name) {
  return (await simAdmin("POST", "tags", { tag: name }))._id;
}

/** Waits for the subscription's first poll (it records what exists, delivers nothing). */
async function seeded(name) {
  for (let i = 0; i < 200; i++) {
    const response = await fetch(`${weft}/v1/subscriptions/${name}`, { headers: { authorization: `Bearer ${key}` } });
    if (response.ok && (await response.json()).seeded) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} was never seeded`);
}

async function picture(page, name) {
  if (shots) await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

const browser = await chromium.launch({
  executablePath: env("CHROMIUM"),
  headless: true,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    // Only the servers of this test exist: no name resolves, so nothing in the
    // browser reaches beyond 127.0.0.1.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
  ],
});
let failed = false;
try {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  page.on("pageerror", (e) => say("page-error", { message: String(e) }));

  // Sign in with the workspace's key.
  await page.goto(`${weft}/console/`);
  await page.getByLabel("API key").fill(key);
  await picture(page, "sign-in");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Connections" }).waitFor(WAIT);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "weft_session");
  if (!session || !session.httpOnly || session.sameSite !== "Strict") {
    throw new Error(`the session cookie is not HttpOnly and SameSite=Strict: ${JSON.stringify(session)}`);
  }
  if (await page.evaluate(() => document.cookie.includes("weft_session"))) {
    throw new Error("the page's script can read the session cookie");
  }
  say("signed-in");

  // Connect with OAuth: a popup through the simulator's consent and back.
  await page.getByLabel("Name", { exact: true }).fill("ghl");
  await page.getByLabel("API base URL (optional)").fill(sim);
  const popup = page.waitForEvent("popup");
  await page.getByRole("button", { name: "Connect with OAuth" }).click();
  await (await popup).waitForEvent("close", WAIT);
  const row = page.getByRole("row").filter({ hasText: "ghl-social-planner" });
  await row.getByText("active").waitFor(WAIT);
  await row.getByText(`locationId=${location}`).waitFor(WAIT);
  await picture(page, "connections");
  say("connected");

  // A trigger's page: its form, and a test on real data.
  await addTag("Evergreen");
  await page.goto(`${weft}/console/#/run/ghl-social-planner/trigger/new-tag`);
  await page.getByRole("button", { name: "Test trigger" }).click();
  await page.getByText("event(s) from a real poll").waitFor(WAIT);
  await page.locator(".result").getByText('"tag": "Evergreen"').waitFor(WAIT);
  say("trigger-tested");

  // An action's form: the host's validation message beside its field, then a run.
  await page.goto(`${weft}/console/#/run/ghl-social-planner/action/find-tags`);
  const limit = page.locator('[name="root[limit]"]');
  await limit.fill("500");
  await page.getByRole("button", { name: "Run action" }).click();
  const fieldError = page.locator('[data-schemapath="root.limit"] .field-error');
  await fieldError.waitFor(WAIT);
  say("field-error", { text: await fieldError.textContent() });
  await limit.fill("10");
  await page.getByRole("button", { name: "Run action" }).click();
  await page.locator(".result").getByText('"tag": "Evergreen"').waitFor(WAIT);
  await picture(page, "action");
  say("action-run");

  // A dynamic dropdown: get-statistics' profiles come from the connector's options export.
  await simAdmin("POST", "accounts", { name: "Acme Coffee", platform: "facebook" });
  await simAdmin("PUT", "statistics", {
    dayRange: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    totals: { posts: 9, likes: 214, followers: 1830, impressions: 5120, comments: 31 },
    postPerformance: {
      posts: { facebook: [1, 2, 0, 3, 1, 0, 2] },
      impressions: [420, 910, 130, 1480, 760, 240, 1180],
      likes: [18, 41, 6, 63, 30, 9, 47],
      comments: [2, 5, 0, 9, 4, 1, 10],
    },
  });
  await page.goto(`${weft}/console/#/run/ghl-social-planner/action/get-statistics`);
  await page.locator("option", { hasText: "Acme Coffee" }).first().waitFor({ state: "attached", ...WAIT });
  say("dropdown-filled");
  await page.goto(`${weft}/console/#/insights/ghl`);
  await page.getByRole("heading", { name: "Insights: ghl" }).waitFor(WAIT);
  await page.locator("canvas").nth(1).waitFor(WAIT);
  await page.waitForTimeout(500);
  await picture(page, "insights");
  say("insights-drawn", { charts: await page.locator("canvas").count() });

  // Subscribe with a mapping: a broken one is refused beside the field, the fixed one previewed.
  await page.goto(`${weft}/console/#/subscribe/ghl-social-planner/new-tag`);
  await page.getByLabel("Name", { exact: true }).fill("tags");
  await page.getByLabel("Deliver to (webhook URL)").fill(hook);
  const mapping = page.getByLabel("jq program (optional)");
  await mapping.fill("{name: .tag,");
  const mappingError = page.locator(".mapping-error").first();
  await mappingError.getByText(/does not compile at line 1/).waitFor(WAIT);
  await picture(page, "mapping-error");
  say("mapping-error-shown");
  await page.getByRole("button", { name: "Create subscription" }).click();
  await mappingError.getByText(/does not compile/).waitFor(WAIT);
  if (!page.url().includes("#/subscribe/")) throw new Error("a broken mapping created a subscription");
  await mapping.fill("{name: .tag, id: ._id}");
  await page.locator(".preview").getByText('"name": "Summer launch"').waitFor(WAIT);
  await page.getByRole("button", { name: "Load a real event" }).click();
  await page.locator(".preview").getByText('"name": "Evergreen"').waitFor(WAIT);
  await page.getByText("Destination schema (advanced)").click();
  await page
    .getByLabel("JSON Schema the mapped data must match (optional)")
    .fill('{"type": "object", "required": ["name", "id"], "properties": {"name": {"type": "string", "maxLength": 20}}}');
  await picture(page, "subscribe");
  await page.getByRole("button", { name: "Create subscription" }).click();
  await page.getByRole("heading", { name: "tags", exact: true }).waitFor(WAIT);
  const secret = (await page.locator("#toast").textContent()).replace(/^.*\(shown once\): /, "");
  say("subscribed", { secret });

  // Two tags in GHL: the short one is delivered mapped, the long one breaks the destination's schema.
  await seeded("tags");
  const shortId = await addTag("Short tag");
  const longId = await addTag("A tag name far longer than twenty characters");
  say("tags-added", { shortId, longId });
  const deliveries = page.locator("table").nth(0);
  for (let i = 0; ; i++) {
    await page.reload();
    await page.getByRole("heading", { name: "Deliveries" }).waitFor(WAIT);
    const text = await deliveries.textContent();
    if (text.includes("delivered") && text.includes("dead")) break;
    if (i > 100) throw new Error(`the deliveries never showed one delivered and one dead: ${text}`);
    await page.waitForTimeout(200);
  }
  await page.getByText(/Deliveries failing since .*schema/).waitFor(WAIT);
  await picture(page, "dead-letter");
  say("dead-lettered");

  // Fix the mapping and replay the dead letter.
  await page.getByLabel("jq program", { exact: true }).fill("{name: .tag[0:20], id: ._id}");
  await page.getByRole("button", { name: "Save mapping" }).click();
  await page.locator("#toast").getByText("Mapping saved").waitFor(WAIT);
  await page.getByRole("button", { name: "Replay dead letters (1)" }).click();
  await page.locator("#toast").getByText("Replayed 1 dead letter(s)").waitFor(WAIT);
  for (let i = 0; ; i++) {
    await page.reload();
    await page.getByRole("heading", { name: "Deliveries" }).waitFor(WAIT);
    const text = await deliveries.textContent();
    if (!text.includes("dead") && text.split("delivered").length === 3) break;
    if (i > 100) throw new Error(`the replayed letter was never delivered: ${text}`);
    await page.waitForTimeout(200);
  }
  await picture(page, "subscription");
  say("replayed");

  // Signing out ends the session: the API refuses the old cookie.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("heading", { name: "Sign in" }).waitFor(WAIT);
  const after = await context.request.get(`${weft}/v1/connections`, {
    headers: { cookie: `weft_session=${session.value}` },
  });
  if (after.status() !== 401) throw new Error(`the ended session still works: ${after.status()}`);
  say("signed-out");

  // The operator's pages: create a key, see it listed, revoke it.
  await page.getByLabel("API key").fill(adminKey);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Workspaces" }).waitFor(WAIT);
  await page.getByLabel("Label of a new key").first().fill("from the browser");
  await page.getByRole("button", { name: "Create key" }).first().click();
  const shown = await page.getByText("New key (shown once)").locator("code").textContent(WAIT);
  await page.reload();
  const keyRow = page.getByRole("row").filter({ hasText: "from the browser" });
  await keyRow.getByText("active").waitFor(WAIT);
  await picture(page, "admin");
  await keyRow.getByRole("button", { name: "Revoke" }).click();
  await keyRow.getByText(/^revoked/).waitFor(WAIT);
  const revoked = await fetch(`${weft}/v1/connections`, { headers: { authorization: `Bearer ${shown}` } });
  if (revoked.status !== 401) throw new Error(`the revoked key still works: ${revoked.status}`);
  say("admin-key-revoked");

  // At a phone's width the pages still fit.
  await page.setViewportSize({ width: 390, height: 844 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) throw new Error(`the admin page is ${overflow}px wider than a phone`);
  say("fits-a-phone");
} catch (e) {
  failed = true;
  console.error(e && e.stack ? e.stack : String(e));
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
