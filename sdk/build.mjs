// Builds waypost.js (the core) and one module per content type into src/waypost/snippet/dist/,
// checks the size budgets (gzip), and with --check fails when the committed files differ from a
// fresh build of the sources.
import { build } from "esbuild";
import { gzipSync } from "node:zlib";
import { mkdtempSync, readdirSync, readFileSync, rmSync, mkdirSync, writeFileSync, existsSync } from "node:fs";
import { join, relative } from "node:path";
import { tmpdir } from "node:os";

const KB = 1024;
const BUDGET = { core: 15 * KB, module: 10 * KB };
const DIST = new URL("../src/waypost/snippet/dist/", import.meta.url).pathname;
const check = process.argv.includes("--check");
const modules = existsSync("src/modules")
  ? readdirSync("src/modules").filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)).sort()
  : [];

const common = {
  bundle: true,
  minify: !process.env.WAYPOST_DEBUG_BUILD,
  target: "es2020",
  legalComments: "none",
  logLevel: "warning",
  charset: "utf8",
};

function gz(path) {
  return gzipSync(readFileSync(path), { level: 9 }).length;
}

function files(dir) {
  return existsSync(dir)
    ? readdirSync(dir, { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile())
        .map((e) => relative(dir, join(e.parentPath, e.name)))
        .sort()
    : [];
}

async function make(out) {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const manifest = { modules: {} };
  let names = {};
  if (modules.length) {
    const result = await build({
      ...common,
      entryPoints: Object.fromEntries(modules.map((m) => [m, `src/modules/${m}.ts`])),
      format: "esm",
      splitting: true,
      outdir: join(out, "m"),
      entryNames: "[name].[hash]",
      chunkNames: "shared.[hash]",
      metafile: true,
    });
    for (const [file, info] of Object.entries(result.metafile.outputs)) {
      if (!info.entryPoint) continue;
      const name = info.entryPoint.replace(/^src\/modules\/|\.ts$/g, "");
      const shared = info.imports.filter((i) => !i.external).map((i) => i.path);
      const bytes = [file, ...shared].reduce((sum, f) => sum + gz(f), 0);
      names[name] = relative(out, file);
      manifest.modules[name] = { file: relative(out, file), gzip: bytes };
    }
  }
  await build({
    ...common,
    entryPoints: ["src/core/index.ts"],
    format: "iife",
    outfile: join(out, "waypost.js"),
    define: { __WAYPOST_MODULES__: JSON.stringify(names) },
  });
  manifest.core = { file: "waypost.js", gzip: gz(join(out, "waypost.js")) };
  writeFileSync(join(out, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

function budgets(manifest) {
  const over = [];
  const line = (name, bytes, limit) => {
    console.log(`${name.padEnd(14)} ${(bytes / KB).toFixed(1).padStart(5)} KB gzip (budget ${limit / KB} KB)`);
    if (bytes > limit) over.push(name);
  };
  line("core", manifest.core.gzip, BUDGET.core);
  for (const [name, m] of Object.entries(manifest.modules)) line(name, m.gzip, BUDGET.module);
  return over;
}

const out = check ? mkdtempSync(join(tmpdir(), "waypost-sdk-")) : DIST;
const manifest = await make(out);
const over = budgets(manifest);
let failed = over.length > 0;
if (failed) console.error(`over budget: ${over.join(", ")}`);
if (check) {
  const built = files(out);
  const committed = files(DIST);
  const differ = [...new Set([...built, ...committed])].filter(
    (f) => !built.includes(f) || !committed.includes(f) || !readFileSync(join(out, f)).equals(readFileSync(join(DIST, f))),
  );
  if (differ.length) {
    console.error(`src/waypost/snippet/dist/ is not what sdk/ builds (run make sdk): ${differ.join(", ")}`);
    failed = true;
  }
  rmSync(out, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
