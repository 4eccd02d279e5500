// The release workflow cannot run here; its YAML is parsed strictly and checked against the
// shape GitHub Actions requires, and against the platforms sentvec ships.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';

const text = readFileSync(new URL('../.github/workflows/release.yml', import.meta.url), 'utf8');

test('the release workflow is valid YAML with the required structure and the platform matrix', (t) => {
  const doc = parseDocument(text, { strict: true, uniqueKeys: true, prettyErrors: true });
  t.deepEqual(doc.errors.map(String), []);
  t.deepEqual(doc.warnings.map(String), []);
  const wf = doc.toJS();
  t.is(typeof wf.name, 'string');
  t.truthy(wf.on?.push?.tags);
  t.true('workflow_dispatch' in wf.on);
  for (const [id, job] of Object.entries(wf.jobs)) {
    t.regex(id, /^[A-Za-z_][\w-]*$/);
    t.is(typeof job['runs-on'], 'string', `${id}: runs-on`);
    t.true(Array.isArray(job.steps) && job.steps.length > 0, `${id}: steps`);
    for (const step of job.steps) {
      t.true(('uses' in step) !== ('run' in step), `${id}: each step has uses or run`);
      if (step.uses) t.regex(step.uses, /^[\w.-]+\/[\w.-]+@v\d+$/, 'actions are pinned to a major version');
    }
    if (job.needs) t.true(job.needs in wf.jobs);
  }
  const tags = wf.jobs.prebuild.strategy.matrix.include.map((m) => m.tag);
  t.deepEqual(tags.sort(), ['darwin-arm64', 'linux-arm64', 'linux-x64', 'win32-x64']);
  t.true(wf.jobs.prebuild.steps.some((s) => /npm run prebuilds/.test(s.run ?? '')));
  t.true(wf.jobs.prebuild.steps.some((s) => /npm test/.test(s.run ?? '')));
  t.regex(text, /musl: onnxruntime-node has no musl library/);
  // Every platform package, then sentvec listing them: npm's default registry, no token.
  const publish = wf.jobs.publish.steps.map((s) => s.run ?? '').join('\n');
  t.regex(publish, /npm publish "\$d"/);
  t.regex(publish, /--release-manifest/);
  t.false(/registry-url|NODE_AUTH_TOKEN|registry\.npmjs/.test(text), 'no registry host and no token');
  t.false(text.includes('\t'), 'no tabs');
});
