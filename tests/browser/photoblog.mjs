// Walks the photoblog as its owner would: the home page as a visitor sees it, signing in at
// the login form, a new album through its form, a photo uploaded through the upload form, its
// thumbnail on the album page, the Atom feed, signing out (after which a form page sends the
// browser to the login again), and the coverage report showing the handlers this walk
// exercised.
// Usage: node photoblog.mjs http://127.0.0.1:PORT /path/to/picture.png OWNER_PASSWORD
import { browser, report, screenshotPath } from "./lib.mjs";

const [base, picture, password] = process.argv.slice(2);
const ctx = await browser();
const page = await ctx.newPage();
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
// The pages' Content-Security-Policy blocks anything not from the site: a violation is an error.
page.on("response", (r) => { if (r.status() >= 400) errors.push(`${r.status()} for ${r.url()}`); });
page.on("requestfailed", (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));

await page.goto(base + "/");
const homeTitle = await page.title();
const albumsOnHome = await page.locator("main ul.cards article.card").count();
const stylesheetApplied = await page.evaluate(() => getComputedStyle(document.body).fontFamily !== "");
const visitorNav = (await page.textContent("nav.site-nav")).replace(/\s+/g, " ").trim();
await page.screenshot({ path: screenshotPath("photoblog-home.png"), fullPage: true });

// Sign in: the login form brings the browser back to the page it came from.
await Promise.all([page.waitForURL(/\/login\?next=/), page.click("nav.site-nav >> text=Sign in")]);
const loginTitle = await page.title();
await page.fill("#username", "admin");
await page.fill("#password", password);
await page.screenshot({ path: screenshotPath("photoblog-login.png"), fullPage: true });
await Promise.all([page.waitForURL(base + "/"), page.click("main button[type=submit]")]);
const signedInAs = (await page.textContent("nav.site-nav .account")).replace(/\s+/g, " ").trim();

// New album through the form.
await Promise.all([page.waitForURL(/\/album\/new/), page.click("nav.site-nav >> text=New album")]);
await page.fill("#title", "Winter in Lapland");
await page.fill("#author", "grace");
await page.fill("#description", "Snow, reindeer and the northern lights.");
await page.fill("#album-text", "Five days above the Arctic Circle.");
await page.screenshot({ path: screenshotPath("photoblog-new-album.png"), fullPage: true });
await Promise.all([page.waitForURL(/\/album\/\d+$/), page.click("main button[type=submit]")]);
const albumUrl = page.url();
const albumHeading = await page.textContent("h1");

// Upload a photo through the upload form.
await Promise.all([page.waitForURL(/\/upload$/), page.click("text=Upload a photo")]);
await page.setInputFiles("#file", picture);
await page.fill("#legend", "Aurora over the lake");
// Back on the album, scrolled to the film the photo went into.
await Promise.all([page.waitForURL(/\/album\/\d+#film-\d+$/), page.click("main button[type=submit]")]);
const backOnAlbum = page.url().split("#")[0] === albumUrl;
const thumb = page.locator('img.thumb[alt="Aurora over the lake"]');
await thumb.waitFor();
// The thumbnail really loaded: the browser decoded an image of the thumbnail's size.
const thumbSize = await thumb.evaluate(async (img) => {
  if (!img.complete) await new Promise((r) => img.addEventListener("load", r, { once: true }));
  return { width: img.naturalWidth, height: img.naturalHeight };
});
await page.screenshot({ path: screenshotPath("photoblog-album.png"), fullPage: true });

// The photo page shows the full picture.
await Promise.all([page.waitForURL(/\/photo\/\d+$/), thumb.click()]);
const photoLoaded = await page.locator("main img").first().evaluate(async (img) => {
  if (!img.complete) await new Promise((r) => img.addEventListener("load", r, { once: true }));
  return img.naturalWidth > 0;
});
await page.screenshot({ path: screenshotPath("photoblog-photo.png"), fullPage: true });

// The Atom feed lists the new album; the album feed lists the photo.
const feed = await page.request.get(base + "/feed");
const feedType = feed.headers()["content-type"];
const feedBody = await feed.text();
const albumId = albumUrl.match(/\/album\/(\d+)$/)[1];
const albumFeed = await (await page.request.get(`${base}/feed/album/${albumId}`)).text();

// Sign out (a POST, with the page's CSRF token): back home as a visitor, and a form page
// sends the browser to the login again.
await Promise.all([page.waitForURL(base + "/"), page.click("nav.site-nav >> text=Sign out")]);
const signedOutNav = (await page.textContent("nav.site-nav")).replace(/\s+/g, " ").trim();
await page.goto(base + "/album/new");
const afterSignOut = page.url().slice(base.length);

// The coverage report shows the handlers the walk used.
await page.goto(base + "/_coverage/");
const coveredPaths = await page.locator("nav.tree li.handler").evaluateAll((els) =>
  els.filter((el) => Number(el.querySelector("span.pct").dataset.pct) > 0)
    .map((el) => el.dataset.path + " " + el.querySelector("span.name").textContent));
await page.screenshot({ path: screenshotPath("photoblog-coverage.png"), fullPage: true });

await ctx.close();
report({
  homeTitle, albumsOnHome, stylesheetApplied, visitorNav, loginTitle, signedInAs, signedOutNav,
  afterSignOut, albumHeading, backOnAlbum, thumbSize, photoLoaded,
  feedType, feedHasAlbum: feedBody.includes("Winter in Lapland"),
  albumFeedHasPhoto: albumFeed.includes("Aurora over the lake"), coveredPaths, errors,
});
