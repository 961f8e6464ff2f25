'use strict';

// internalBinding('url'): WHATWG URL parsing, done natively by op_url_*.
//
// Unlike the C++ binding of Node.js (which hands back an href plus offsets
// into it), parse() and update() here return the URL's components as an array
// laid out as below, or undefined when the input is not a valid URL (parse) or
// when the setter does not apply (update).

const {
  StringPrototypeIncludes,
  StringPrototypeSlice,
  StringPrototypeSplit,
  StringPrototypeStartsWith,
  ArrayPrototypeJoin,
  RegExpPrototypeExec,
} = primordials;

const {
  op_url_parse,
  op_url_can_parse,
  op_url_set,
  op_url_domain_to_ascii,
  op_url_domain_to_unicode,
} = internalBinding('ops');

// Indices into the components array returned by parse() and update().
const kHref = 0;
const kProtocol = 1;
const kUsername = 2;
const kPassword = 3;
const kHost = 4;
const kHostname = 5;
const kPort = 6;
const kPathname = 7;
const kSearch = 8;
const kHash = 9;
const kOrigin = 10;

// Setter names, indexed by the update actions of internal/url
// (kProtocol: 0, kHost: 1, kHostname: 2, kPort: 3, kUsername: 4,
// kPassword: 5, kPathname: 6, kSearch: 7, kHash: 8, kHref: 9).
const updateFields = [
  'protocol', 'host', 'hostname', 'port', 'username',
  'password', 'pathname', 'search', 'hash', 'href',
];

function isInvalidURLError(err) {
  return err !== null && typeof err === 'object' &&
    err.code === 'ERR_INVALID_URL';
}

/**
 * @param {string} input
 * @param {string} [base]
 * @returns {string[] | undefined}
 */
function parse(input, base) {
  try {
    return op_url_parse(input, base);
  } catch (err) {
    if (isInvalidURLError(err)) return undefined;
    throw err;
  }
}

/**
 * @param {string} input
 * @param {string} [base]
 * @returns {boolean}
 */
function canParse(input, base) {
  return op_url_can_parse(input, base);
}

/**
 * @param {string} href
 * @param {number} action
 * @param {string} value
 * @returns {string[] | undefined}
 */
function update(href, action, value) {
  try {
    return op_url_set(href, updateFields[action], value);
  } catch (err) {
    if (isInvalidURLError(err)) return undefined;
    throw err;
  }
}

function domainToASCII(domain) {
  if (domain === '') return '';
  return op_url_domain_to_ascii(domain);
}

function domainToUnicode(domain) {
  if (domain === '') return '';
  return op_url_domain_to_unicode(domain);
}

/**
 * Serializes `href` without the parts that url.format(URL, options) was asked
 * to leave out, and with an IDNA-decoded hostname when `unicode` is true.
 * @param {string} href
 * @param {boolean} hash
 * @param {boolean} unicode
 * @param {boolean} search
 * @param {boolean} auth
 * @returns {string}
 */
function format(href, hash, unicode, search, auth) {
  let url = op_url_parse(href, undefined);
  if (!hash) {
    url = op_url_set(url[kHref], 'hash', '') ?? url;
  }
  if (!search) {
    url = op_url_set(url[kHref], 'search', '') ?? url;
  }
  if (!auth) {
    url = op_url_set(url[kHref], 'username', '') ?? url;
    url = op_url_set(url[kHref], 'password', '') ?? url;
  }
  const out = url[kHref];
  const hostname = url[kHostname];
  if (unicode && hostname !== '' && StringPrototypeIncludes(hostname, 'xn--')) {
    let prefix = `${url[kProtocol]}//`;
    if (url[kUsername] !== '' || url[kPassword] !== '') {
      prefix += url[kUsername];
      if (url[kPassword] !== '') prefix += `:${url[kPassword]}`;
      prefix += '@';
    }
    if (StringPrototypeStartsWith(out, prefix + hostname)) {
      return prefix + domainToUnicode(hostname) +
        StringPrototypeSlice(out, prefix.length + hostname.length);
    }
  }
  return out;
}

// IDNA ToASCII / ToUnicode of a domain name, as used by the legacy url.parse()
// (through internal/idna). Labels that are plain ASCII are left alone, which
// is what UTS #46 processing does to an already lower-cased ASCII label; the
// others are converted by the WHATWG host parser one label at a time, so that
// a numeric last label never turns the name into an IPv4 address.
const nonASCII = /[^\x00-\x7f]/;

function toASCII(domain) {
  if (RegExpPrototypeExec(nonASCII, domain) === null) return domain;
  const labels = StringPrototypeSplit(domain, '.');
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    if (label !== '' && RegExpPrototypeExec(nonASCII, label) !== null) {
      const ascii = op_url_domain_to_ascii(label);
      if (ascii === '') return '';
      labels[i] = ascii;
    }
  }
  return ArrayPrototypeJoin(labels, '.');
}

function toUnicode(domain) {
  if (!StringPrototypeIncludes(domain, 'xn--')) return domain;
  const labels = StringPrototypeSplit(domain, '.');
  for (let i = 0; i < labels.length; i++) {
    if (StringPrototypeStartsWith(labels[i], 'xn--')) {
      const unicode = op_url_domain_to_unicode(labels[i]);
      if (unicode !== '') labels[i] = unicode;
    }
  }
  return ArrayPrototypeJoin(labels, '.');
}

module.exports = {
  kHref,
  kProtocol,
  kUsername,
  kPassword,
  kHost,
  kHostname,
  kPort,
  kPathname,
  kSearch,
  kHash,
  kOrigin,
  parse,
  canParse,
  update,
  format,
  domainToASCII,
  domainToUnicode,
  toASCII,
  toUnicode,
};
