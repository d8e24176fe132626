// Prints the figures of the last mutation run from Stryker's JSON report and fails (exit 1) when the
// score is below the break threshold of stryker.config.mjs. Usage: node scripts/mutation/summary.mjs
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import config from '../../stryker.config.mjs';
import { MESSAGE_REASON_PREFIX } from './message-ignorer.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const reportPath = join(root, config.jsonReporter.fileName);

function summarize(report) {
  const counts = {
    total: 0,
    killed: 0,
    timeout: 0,
    survived: 0,
    noCoverage: 0,
    message: 0,
    ignored: 0,
    errors: 0,
  };
  const undetected = [];
  const excluded = [];
  for (const [file, { mutants, source }] of Object.entries(report.files)) {
    const lines = source.split('\n');
    const at = (mutant) => ({
      file,
      line: mutant.location.start.line,
      mutant,
      code: original(lines, mutant),
    });
    for (const mutant of mutants) {
      counts.total += 1;
      switch (mutant.status) {
        case 'Killed':
          counts.killed += 1;
          break;
        case 'Timeout':
          counts.timeout += 1;
          break;
        case 'Survived':
          counts.survived += 1;
          undetected.push(at(mutant));
          break;
        case 'NoCoverage':
          counts.noCoverage += 1;
          undetected.push(at(mutant));
          break;
        case 'Ignored':
          if (mutant.statusReason?.startsWith(MESSAGE_REASON_PREFIX)) {
            counts.message += 1;
            excluded.push(at(mutant));
          } else {
            counts.ignored += 1;
            undetected.push(at(mutant));
          }
          break;
        default: // CompileError, RuntimeError: not a test result either way
          counts.errors += 1;
      }
    }
  }
  const detected = counts.killed + counts.timeout;
  // A mutant ignored for any other reason than message text counts as undetected: no way around the bar.
  const scored = detected + counts.survived + counts.noCoverage + counts.ignored;
  const score = scored === 0 ? 0 : (100 * detected) / scored;
  return { counts, detected, scored, score, undetected, excluded };
}

/** The source text a mutant replaced (its first line when it spans several). */
function original(lines, { location: { start, end } }) {
  const first = lines[start.line - 1] ?? '';
  return start.line === end.line
    ? first.slice(start.column - 1, end.column - 1)
    : `${first.slice(start.column - 1)} …`;
}

function main() {
  if (!existsSync(reportPath)) {
    console.error(`No mutation report at ${relative(root, reportPath)}: run npm run test:mutation`);
    process.exit(1);
  }
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  const { counts, detected, scored, score, undetected, excluded } = summarize(report);
  const threshold = config.thresholds.break;
  const where = ({ file, line }) => `${file}:${line}`;

  console.log(
    `\nUndetected mutants (${undetected.length}): a test should fail for each, unless it is equivalent`,
  );
  for (const item of undetected) {
    const reason = item.mutant.status === 'Ignored' ? ` [ignored: ${item.mutant.statusReason}]` : '';
    console.log(
      `  ${item.mutant.status.padEnd(10)} ${where(item)}  ${oneLine(item.code)} → ${oneLine(item.mutant.replacement)}${reason}`,
    );
  }
  console.log(
    `\nExcluded as message text (${excluded.length}; rules in scripts/mutation/message-ignorer.mjs):`,
  );
  for (const item of excluded) console.log(`  ${where(item)}  ${oneLine(item.code)}`);

  const row = (label, value) => console.log(`${label.padEnd(28)}${value}`);
  console.log('\n=== Mutation testing (packages/domain + the pure api files of stryker.config.mjs)');
  row('mutants total', counts.total);
  row('killed', `${detected} (${counts.timeout} of them by timeout)`);
  row('survived', `${counts.survived + counts.noCoverage} (${counts.noCoverage} of them without coverage)`);
  row('excluded as message text', counts.message);
  if (counts.ignored > 0) row('ignored otherwise', `${counts.ignored} (scored as survived)`);
  if (counts.errors > 0) row('compile/runtime errors', `${counts.errors} (not scored)`);
  row('score', `${score.toFixed(2)} % (${detected} of ${scored}; fails below ${threshold} %)`);

  if (score < threshold) {
    console.error(`Mutation score ${score.toFixed(2)} % is below the break threshold ${threshold} %.`);
    process.exit(1);
  }
}

function oneLine(text) {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > 60 ? `${flat.slice(0, 59)}…` : flat;
}

main();
