'use strict';
// A cdk8s validation plugin (cdk8s.yaml `validations:`): `cdk8s synth` hands it the synthesized
// manifests; it runs `guestbook validate --format json` on them and reports each finding as a
// violation named by its rule id. See README, "Validate your own repository".

const { execFile } = require('node:child_process');

// --fail-on values, least severe last; findings below failOn are counted, not listed.
const FAIL_ON = ['error', 'warning'];

/**
 * The plugin class cdk8s constructs with the `properties` of its `validations:` entry:
 *
 * - `command`: the guestbook executable, a string or an array (executable, then leading
 *   arguments). Default `guestbook`, found on PATH.
 * - `kubernetesVersion`: validate against this Kubernetes version. Default: guestbook's.
 * - `failOn`: `error` (default) or `warning`: findings this bad or worse fail the synth and
 *   are listed as violations; the others are only counted in the report's summary.
 * - `complete`: the synthesized manifests hold every object their references name
 *   (`guestbook validate --complete`), so a Service selecting no pod is an error. Default
 *   true: a cdk8s app is usually the whole application; set false when it references
 *   objects that live elsewhere.
 */
class GuestbookValidation {
  constructor(properties = {}) {
    const { command = 'guestbook', kubernetesVersion, failOn = 'error', complete = true, ...unknown } = properties;
    const unknownNames = Object.keys(unknown);
    if (unknownNames.length > 0) {
      throw new Error(
        `guestbook validation plugin: unknown properties ${unknownNames.join(', ')}; ` +
          'expected command, kubernetesVersion, failOn, complete',
      );
    }
    const argv = Array.isArray(command) ? command : [command];
    if (argv.length === 0 || !argv.every((part) => typeof part === 'string' && part !== '')) {
      throw new Error('guestbook validation plugin: command must be a non-empty string or list of strings');
    }
    if (!FAIL_ON.includes(failOn)) {
      throw new Error(`guestbook validation plugin: failOn is ${JSON.stringify(failOn)}; expected error or warning`);
    }
    if (typeof complete !== 'boolean') {
      throw new Error('guestbook validation plugin: complete must be true or false');
    }
    if (kubernetesVersion !== undefined && typeof kubernetesVersion !== 'string') {
      throw new Error('guestbook validation plugin: kubernetesVersion must be a string such as "1.34.3"');
    }
    this.argv = argv;
    this.kubernetesVersion = kubernetesVersion;
    this.failOn = failOn;
    this.complete = complete;
  }

  async validate(context) {
    if (context.manifests.length === 0) {
      // Nothing synthesized; guestbook validate without paths would read ./dist instead.
      context.report.submit('success', { objects: '0' });
      return;
    }
    const args = [...this.argv.slice(1), 'validate', '--format', 'json', '--fail-on', this.failOn];
    if (this.complete) {
      args.push('--complete');
    }
    if (this.kubernetesVersion) {
      args.push('--kubernetes-version', this.kubernetesVersion);
    }
    args.push('--', ...context.manifests);
    const run = await runCommand(this.argv[0], args);
    if (run.error || ![0, 1].includes(run.code)) {
      // Exit 2 (usage or setup problem) or no guestbook at all: no report to map.
      const why = (run.stderr || (run.error && run.error.message) || `exit ${run.code}`).trim();
      context.logger.log(`guestbook validate could not run: ${why}`);
      context.report.submit('failure', { error: why });
      return;
    }
    const report = JSON.parse(run.stdout);
    const listed = FAIL_ON.slice(0, FAIL_ON.indexOf(this.failOn) + 1);
    const failing = report.findings.filter((finding) => listed.includes(finding.severity));
    for (const finding of failing) {
      context.report.addViolation(violation(finding));
    }
    const { errors, warnings } = report.summary;
    context.report.submit(report.failed ? 'failure' : 'success', {
      kubernetesVersion: report.kubernetesVersion,
      failOn: report.failOn,
      errors: String(errors),
      warnings: String(warnings),
      notListed: `${report.findings.length - failing.length} below failOn`,
    });
  }
}

/** One finding as a cdk8s violation: the rule id, what is wrong, how to fix it, where. */
function violation(finding) {
  const { kind, namespace, name } = finding.object;
  const object = kind ? `${kind}/${namespace ? `${namespace}/` : ''}${name}` : '(document)';
  return {
    ruleName: finding.rule,
    recommendation: `${finding.severity}: ${object}: ${finding.message}`,
    fix: finding.hint || 'see the message',
    violatingResources: [
      {
        // metadata.name: what cdk8s matches against its construct metadata
        resourceName: name || object,
        manifestPath: finding.file,
        locations: [`line ${finding.line}`],
      },
    ],
  };
}

function runCommand(file, args) {
  return new Promise((resolve) => {
    execFile(file, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? error.code : 0;
      resolve({ code, stdout, stderr, error: typeof code === 'number' ? undefined : error });
    });
  });
}

module.exports = { GuestbookValidation };
