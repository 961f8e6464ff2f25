'use strict';
// Adapted from Node.js lib/internal/options.js (MIT, see js-api/LICENSE.node).

// weir does not parse Node.js command line options, so every option has the
// value Node.js gives it when it is not passed on the command line.

const {
  ArrayPrototypeSlice,
  ObjectEntries,
  SafeMap,
  StringPrototypeSlice,
  StringPrototypeStartsWith,
} = primordials;

const defaults = {
  '--abort-on-uncaught-exception': false,
  '--build-snapshot': false,
  '--conditions': [],
  '--diagnostic-dir': '',
  '--dns-result-order': '',
  '--enable-network-family-autoselection': false,
  '--enable-source-maps': false,
  '--experimental-default-type': '',
  '--experimental-fetch': true,
  '--experimental-global-customevent': false,
  '--experimental-global-webcrypto': false,
  '--experimental-import-meta-resolve': false,
  '--experimental-loader': [],
  '--experimental-network-imports': false,
  '--experimental-policy': '',
  '--experimental-repl-await': true,
  '--experimental-shadow-realm': false,
  '--experimental-specifier-resolution': '',
  '--experimental-test-coverage': false,
  '--experimental-vm-modules': false,
  '--experimental-wasm-modules': false,
  '--expose-internals': false,
  '--force-fips': false,
  '--frozen-intrinsics': false,
  '--heapsnapshot-near-heap-limit': 0,
  '--heapsnapshot-signal': '',
  '--icu-data-dir': '',
  '--import': [],
  '--input-type': '',
  '--insecure-http-parser': false,
  '--inspect-brk': false,
  '--max-http-header-size': 16384,
  '--openssl-config': '',
  '--pending-deprecation': false,
  '--policy-integrity': '',
  '--preserve-symlinks': false,
  '--preserve-symlinks-main': false,
  '--print': false,
  '--redirect-warnings': '',
  '--report-on-signal': false,
  '--require': [],
  '--secure-heap': 0,
  '--secure-heap-min': 2,
  '--test': false,
  '--test-concurrency': 0,
  '--test-name-pattern': [],
  '--test-only': false,
  '--test-reporter': [],
  '--test-reporter-destination': [],
  '--test-shard': '',
  '--throw-deprecation': false,
  '--title': '',
  '--tls-keylog': '',
  '--tls-max-v1.2': false,
  '--tls-max-v1.3': false,
  '--tls-min-v1.0': false,
  '--tls-min-v1.1': false,
  '--tls-min-v1.2': false,
  '--tls-min-v1.3': false,
  '--trace-deprecation': false,
  '--trace-exit': false,
  '--trace-sigint': false,
  '--trace-tls': false,
  '--trace-uncaught': false,
  '--trace-warnings': false,
  '--unhandled-rejections': undefined,
  '--verify-base-objects': false,
  '--warnings': true,
  '--watch': false,
  '--watch-path': [],
  '--watch-preserve-output': false,
  // Options whose Node.js value is true unless `--no-<name>` is passed.
  '--addons': true,
  '--deprecation': true,
};

let optionsMap;

function getCLIOptionsFromBinding() {
  if (!optionsMap) {
    optionsMap = new SafeMap();
    for (const { 0: name, 1: value } of ObjectEntries(defaults)) {
      optionsMap.set(name, { __proto__: null, value });
    }
  }
  return optionsMap;
}

function getAliasesFromBinding() {
  return new SafeMap();
}

function getEmbedderOptions() {
  return {
    __proto__: null,
    shouldNotRegisterESMLoader: true,
    noGlobalSearchPaths: false,
    hasEmbedderPreload: false,
  };
}

function refreshOptions() {
  optionsMap = undefined;
}

function getOptionValue(optionName) {
  const options = getCLIOptionsFromBinding();
  if (StringPrototypeStartsWith(optionName, '--no-')) {
    const option = options.get('--' + StringPrototypeSlice(optionName, 5));
    return option && !option.value;
  }
  const option = options.get(optionName);
  if (option === undefined) return undefined;
  const { value } = option;
  // Hand out copies so that callers cannot change the defaults.
  return typeof value === 'object' && value !== null ? ArrayPrototypeSlice(value) : value;
}

let warnOnAllowUnauthorized = true;

function getAllowUnauthorized() {
  const allowUnauthorized = process.env.NODE_TLS_REJECT_UNAUTHORIZED === '0';

  if (allowUnauthorized && warnOnAllowUnauthorized) {
    warnOnAllowUnauthorized = false;
    process.emitWarning(
      'Setting the NODE_TLS_REJECT_UNAUTHORIZED ' +
      'environment variable to \'0\' makes TLS connections ' +
      'and HTTPS requests insecure by disabling ' +
      'certificate verification.');
  }
  return allowUnauthorized;
}

module.exports = {
  get options() {
    return getCLIOptionsFromBinding();
  },
  get aliases() {
    return getAliasesFromBinding();
  },
  getOptionValue,
  getAllowUnauthorized,
  getEmbedderOptions,
  refreshOptions,
};
