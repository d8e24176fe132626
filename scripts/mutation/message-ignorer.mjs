/**
 * The one kind of mutant `npm run test:mutation` leaves out: the TEXT of messages and logs. Emptying
 * "Invalid payment grace period" changes no money rule, and pinning every sentence in a test would only
 * make wording changes expensive. Everything else is mutated, including strings that mean something
 * (plan ids, statuses, error codes, metadata keys, details fields).
 *
 * A string or template literal is message text when it is (possibly through `a ? 'x' : 'y'`, `a || 'x'`
 * or `'x' + y`):
 *   - the message argument of `new AppError(code, message, …)` or of `new Error(message)` (any *Error);
 *   - the value of a property named `message`, or the initial value of a variable named `message`;
 *   - an argument of a log call: `console.*`, `log.*`, `logger.*` (debug/info/warn/error/log/trace/fatal).
 *
 * Stryker marks such mutants "Ignored" with the reason below; scripts/mutation/summary.mjs counts them
 * as "excluded (message text)" and the score is computed without them.
 */

const LOGGER_OBJECTS = new Set(['console', 'log', 'logger']);
const LOG_METHODS = new Set(['debug', 'info', 'warn', 'error', 'log', 'trace', 'fatal']);
export const MESSAGE_REASON_PREFIX = 'message text';

function isNamed(node, name) {
  return node?.type === 'Identifier' && node.name === name;
}

/** Climbs from a literal through the expressions that only assemble a message. */
function messageSlotOf(path) {
  let current = path;
  for (;;) {
    const parent = current.parentPath;
    if (!parent) return current;
    const isBranch =
      parent.node.type === 'ConditionalExpression' &&
      (current.key === 'consequent' || current.key === 'alternate');
    const isFallback = parent.node.type === 'LogicalExpression';
    const isConcat = parent.node.type === 'BinaryExpression' && parent.node.operator === '+';
    if (!isBranch && !isFallback && !isConcat) return current;
    current = parent;
  }
}

function messageReason(path) {
  const slot = messageSlotOf(path);
  const parent = slot.parentPath?.node;
  if (!parent) return undefined;
  if (
    parent.type === 'NewExpression' &&
    slot.listKey === 'arguments' &&
    parent.callee.type === 'Identifier'
  ) {
    const name = parent.callee.name;
    if (name === 'AppError' && slot.key === 1) return 'AppError message';
    if (name !== 'AppError' && name.endsWith('Error') && slot.key === 0) return `${name} message`;
    return undefined;
  }
  if (parent.type === 'ObjectProperty' && slot.key === 'value' && !parent.computed) {
    return isNamed(parent.key, 'message') ? '`message` property' : undefined;
  }
  if (parent.type === 'VariableDeclarator' && slot.key === 'init') {
    return isNamed(parent.id, 'message') ? '`message` variable' : undefined;
  }
  if (parent.type === 'CallExpression' && slot.listKey === 'arguments') {
    const callee = parent.callee;
    if (callee.type !== 'MemberExpression' || callee.computed) return undefined;
    const isLogCall =
      callee.object.type === 'Identifier' &&
      LOGGER_OBJECTS.has(callee.object.name) &&
      callee.property.type === 'Identifier' &&
      LOG_METHODS.has(callee.property.name);
    return isLogCall ? `${callee.object.name}.${callee.property.name} text` : undefined;
  }
  return undefined;
}

export const messageTextIgnorer = {
  shouldIgnore(path) {
    const type = path.node.type;
    if (type !== 'StringLiteral' && type !== 'TemplateLiteral') return undefined;
    const reason = messageReason(path);
    return reason === undefined ? undefined : `${MESSAGE_REASON_PREFIX}: ${reason}`;
  },
};

// A value plugin, as @stryker-mutator/api's declareValuePlugin(PluginKind.Ignore, …) would build it.
export const strykerPlugins = [{ kind: 'Ignore', name: 'message-text', value: messageTextIgnorer }];
