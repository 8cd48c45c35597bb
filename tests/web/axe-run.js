// One accessibility scan, shared by the admin web's browser test (admin.mjs, Playwright) and
// the app's webview test (tests/src/a11y.rs, WebDriver): a function of no arguments that runs
// axe-core's WCAG 2.1 A and AA rules on the page and resolves to one line per failing node.
() => window.axe
  .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
  .then((r) => r.violations.flatMap((v) => v.nodes.map((n) =>
    `${v.id}: ${n.target.join(' ')} — ${n.failureSummary.split('\n').slice(0, 2).join(' ')}`)))
