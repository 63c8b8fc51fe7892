/**
 * The layering the README's Layout section states, held by `npm run lint` (`npm run layers`).
 * Model: domain-driven-hexagon's .dependency-cruiser.js. Node's own modules are allowed anywhere.
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'Domain rules import nothing outside src/domain: no SDK, no port, no adapter.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'ports-only-domain',
      comment: 'Ports are interfaces over domain types.',
      severity: 'error',
      from: { path: '^src/ports/' },
      to: { pathNot: ['^src/ports/', '^src/domain/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'application-not-edges',
      comment: 'Use cases reach the world through ports, never adapters, HTTP or the composition.',
      severity: 'error',
      from: { path: '^src/application/' },
      to: { path: ['^src/adapters/', '^src/http/', '^src/composition/', '^src/mqtt/'] },
    },
    {
      name: 'application-no-sdk',
      comment: 'SDKs belong in adapters.',
      severity: 'error',
      from: { path: '^src/application/' },
      to: { dependencyTypes: ['npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg'] },
    },
    {
      name: 'adapters-not-edges',
      comment: 'Adapters implement ports; they do not know the HTTP edge or the composition.',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: ['^src/http/', '^src/composition/', '^src/mqtt/'] },
    },
    {
      name: 'http-not-composition',
      comment:
        'The HTTP edge declares what it needs (RegistryServices); the composition provides it.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: '^src/composition/' },
    },
    {
      name: 'shipped-code-not-local',
      comment:
        'What ships to Azure (functions/, src/) never imports the local host, tools or tests.',
      severity: 'error',
      from: { path: '^(src|functions)/' },
      to: { path: '^(local|bench|test|cli|standins|dashboard)/' },
    },
    {
      name: 'standins-stand-alone',
      comment: 'The stand-ins are their own programs: they import nothing of the product or host.',
      severity: 'error',
      from: { path: '^standins/' },
      to: { path: '^(src|functions|local|bench|cli)/' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
