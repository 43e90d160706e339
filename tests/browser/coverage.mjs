// Opens the coverage report, checks the tree and the totals, selects a handler with a click
// and reads its counts from the page; a check that fails here is reported among `errors`.
// Usage: node coverage.mjs http://127.0.0.1:PORT
import { browser, report, screenshotPath } from "./lib.mjs";

const base = process.argv[2];
const ctx = await browser();
const page = await ctx.newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });

await page.goto(base + "/_coverage/");
const title = await page.title();
const total = await page.textContent("#total-pct");
const handlers = await page.locator("nav.tree li.handler").count();
await page.screenshot({ path: screenshotPath("coverage-overview.png"), fullPage: true });

// Select GET /users/{id} in the tree.
const link = page.locator('nav.tree li.handler[data-path="/users/{id}"]', { hasText: "get" }).locator("a");
await Promise.all([page.waitForURL(/handler=/), link.click()]);
const heading = await page.textContent("main.detail h2");
const row = (s) => page.locator(`main.detail tr[data-status="${s}"] td.count`);
const ok = Number(await row(200).textContent());
const notFound = Number(await row(404).textContent());
const getCount = Number(await page.textContent('main.detail div.method[data-method="GET"] h3 .count'));
const cache = await page.locator('main.detail div.method[data-method="GET"] dd.cache').textContent();
await page.screenshot({ path: screenshotPath("coverage-handler.png"), fullPage: true });

// The tree marks the chosen handler for assistive technology too.
const current = await page.locator('nav.tree a[aria-current="page"]').count();
if (current !== 1) errors.push(`${current} links marked as the current page, not 1`);

// The threshold recolours the percentages as you type (script): nothing is below 0.
await page.fill("#threshold", "0");
const lowAtZero = await page.locator(".pct.low").count();
if (lowAtZero !== 0) errors.push(`${lowAtZero} percentages below a threshold of 0`);

// The exclude filter hides nodes as you type (script), and the form works without it.
await page.fill("#exclude", "/blog/");
const blogHidden = await page.locator('nav.tree li.node[data-path="/blog/"]').evaluate((el) => el.classList.contains("hidden"));

await ctx.close();
report({ title, total, handlers, heading, ok, notFound, getCount, cache, blogHidden, errors });
