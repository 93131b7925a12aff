#!/usr/bin/env node
// @ts-check
// Finds the tests that fail when run alone: a test must set up what it needs itself, never lean on
// rows an earlier test in its file left behind (issue 19). A developer's tool, not part of `npm test`.
//
//   npm run build && node scripts/run-each-test-alone.mjs [file or folder …] [--workers N]
//
// It drives vitest's Node API in this one process, so the suite's global setup runs once: one
// throwaway PostgreSQL (or TEST_DATABASE_URL) and one migrated template for every run. It lists the
// chosen files' tests, then runs every test of a file holding more than one by itself, as
// `npx vitest run <file> -t '^<full name>$'` would (the name anchored and escaped), in rounds of one
// test from each file, the files of a round running side by side (--workers, default vitest.config.ts's).
// At the end it prints the tests that fail alone, each with its first error and the command that runs
// it alone, and exits 1 if there are any. Every run starts a fresh worker that imports its test file,
// so a pass over the whole suite takes about 15 minutes on 2 cores (over half an hour while others
// load them); a folder, a minute or two.
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { createVitest } from 'vitest/node';

const { values: options, positionals: filters } = parseArgs({
  allowPositionals: true,
  options: { workers: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (options.help) {
  console.log('usage: node scripts/run-each-test-alone.mjs [file or folder …] [--workers N]');
  process.exit(0);
}

const started = Date.now();
const seconds = () => `${Math.round((Date.now() - started) / 1000)} s`;
const root = process.cwd();
const shortPath = (/** @type {string} */ file) => relative(root, file);

/** `-t` matches the names of a test's suites and its own, joined by single spaces. */
const namePattern = (/** @type {string[]} */ names) => `^${names.join(' ').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
const shellQuote = (/** @type {string} */ text) => `'${text.replaceAll("'", `'\\''`)}'`;

/** @param {import('vitest/node').TestCase} test */
function namesOf(test) {
  const names = [test.name];
  for (let parent = test.parent; parent.type === 'suite'; parent = parent.parent) names.unshift(parent.name);
  return names;
}

/** @param {ReadonlyArray<{ message?: string; name?: string }> | undefined} errors */
function firstError(errors) {
  const error = errors?.[0];
  if (!error) return '';
  return (`${error.name ?? 'Error'}: ${error.message ?? ''}`.split('\n')[0] ?? '').slice(0, 300);
}

const vitest = await createVitest('test', {
  watch: false,
  silent: true, // the tests' own console output
  reporters: [{}], // this script reports for itself
  ...(options.workers ? { maxWorkers: Number(options.workers) } : {}),
});

/**
 * @typedef {{ file: string; fullName: string; pattern: string }} Test
 * @typedef {{ test: Test; why: string }} Failure
 */
/** @type {Test[][]} the tests of each file holding more than one */
const files = [];
/** @type {Failure[]} */
const failures = [];
/** @type {string[]} */
const problems = [];

try {
  const specifications = await vitest.globTestSpecifications(filters);
  if (specifications.length === 0) throw new Error(`no test files match ${filters.join(' ') || 'the configuration'}`);
  console.log(`${specifications.length} test files: listing their tests (${seconds()})`);
  const listed = await vitest.collectTests(specifications);
  let singles = 0;
  for (const module of listed.testModules) {
    for (const error of module.errors()) problems.push(`${shortPath(module.moduleId)}: ${firstError([error])}`);
    const tests = [...module.children.allTests()]
      .filter((test) => test.options.mode !== 'skip' && test.options.mode !== 'todo')
      .map((test) => ({ file: module.moduleId, fullName: test.fullName, pattern: namePattern(namesOf(test)) }));
    if (tests.length > 1) files.push(tests);
    else singles += tests.length;
  }
  const alone = files.reduce((sum, tests) => sum + tests.length, 0);
  const rounds = Math.max(0, ...files.map((tests) => tests.length));
  console.log(`${alone} tests in ${files.length} files to run alone (${singles} files hold a single test), in ${rounds} rounds (${seconds()})`);

  const project = specifications[0].project;
  for (let round = 0; round < rounds; round++) {
    const batch = files.flatMap((tests) => (tests[round] ? [tests[round]] : []));
    const result = await vitest.runTestSpecifications(
      batch.map((test) => project.createSpecification(test.file, { testNamePattern: new RegExp(test.pattern) })),
    );
    if (result.unhandledErrors.length) problems.push(`round ${round + 1}: ${result.unhandledErrors.length} unhandled errors`);
    for (const test of batch) {
      const module = result.testModules.find((candidate) => candidate.moduleId === test.file);
      const ran = module ? [...module.children.allTests()].filter((t) => t.result().state !== 'skipped') : [];
      const failed = ran.find((t) => t.result().state === 'failed');
      // A failing beforeAll or afterAll is reported on its suite, or on the module.
      const moduleErrors = module ? [...module.errors(), ...[...module.children.allSuites()].flatMap((suite) => suite.errors())] : [];
      let why = '';
      if (ran.length === 0) why = moduleErrors.length ? firstError(moduleErrors) : 'its -t pattern selects no test';
      else if (ran.length > 1) why = `its -t pattern selects ${ran.length} tests: give it a name of its own`;
      else if (failed) why = firstError(failed.result().errors);
      else if (moduleErrors.length) why = firstError(moduleErrors);
      if (why) {
        failures.push({ test, why });
        console.log(`  ✗ ${shortPath(test.file)} > ${test.fullName}`);
      }
    }
    console.log(`round ${round + 1}/${rounds}: ${batch.length} tests, ${failures.length} failed alone so far (${seconds()})`);
  }
} finally {
  await vitest.close();
}

for (const problem of problems) console.log(`! ${problem}`);
if (failures.length === 0) {
  console.log(`\nEvery test passes alone (${seconds()}).`);
} else {
  console.log(`\n${failures.length} tests fail alone (${seconds()}):`);
  for (const { test, why } of failures.sort((a, b) => a.test.file.localeCompare(b.test.file))) {
    console.log(`\n✗ ${shortPath(test.file)} > ${test.fullName}\n  ${why}`);
    console.log(`  npx vitest run ${shortPath(test.file)} -t ${shellQuote(test.pattern)}`);
  }
}
process.exit(failures.length > 0 || problems.length > 0 ? 1 : 0);
