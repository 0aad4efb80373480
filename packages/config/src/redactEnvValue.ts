/** Variable names whose values are never shown at all. AUDITOR: SIGNSRV_AUDITORS often gets plaintext tokens by mistake. */
const secretName = /SECRET|PASSWORD|PASSPHRASE|KEK|MNEMONIC|SEED|PRIVATE|TOKEN|AUDITOR/;

/** Longest text shown; a longer one is cut (a JSON blob is rarely needed in full to spot a typo). */
const MAX_SHOWN = 80;

// A URL: an optional scheme and `://`, then everything up to the next URL (`a://x,b://y` is a list of two) or the end
// of the value. Not up to a space or a quote: the value is malformed already, and a password may hold either, so the
// part after the host is always masked rather than guessed at.
const url = /((?:[A-Za-z][A-Za-z0-9+.-]*)?:\/\/)([\s\S]*?)(?=,?\s*(?:[A-Za-z][A-Za-z0-9+.-]*)?:\/\/|$)/g;
/** What a host (name, IPv4, [IPv6]) and port are made of. */
const hostChars = /^[A-Za-z0-9.\-[\]:]*/;

/**
 * How a bad configuration value is shown in the start-up error: enough to spot a typo, never a credential. Values of
 * secret-looking variables are `***`; in every URL the userinfo becomes `***@` and whatever follows the host (path,
 * query, fragment: where RPC providers put API keys) becomes `/…`; what is left is cut at 80 characters.
 * @param name the variable's name
 * @param value its raw value
 * @returns the text to show
 */
export function redactEnvValue(name: string, value: string): string {
  if (secretName.test(name)) return '***';
  const shown = value.replace(url, (_, scheme: string, rest: string) => {
    // The last `@` ends the userinfo: a password may hold `/`, `?`, `#`, spaces or `@` unescaped, and masking too
    // much is the safe way to be wrong.
    const at = rest.lastIndexOf('@');
    const afterUserinfo = at >= 0 ? rest.slice(at + 1) : rest;
    const host = hostChars.exec(afterUserinfo)?.[0] ?? '';
    return `${scheme}${at >= 0 ? '***@' : ''}${host}${host.length < afterUserinfo.length ? '/…' : ''}`;
  });
  return shown.length > MAX_SHOWN ? `${shown.slice(0, MAX_SHOWN)}…` : shown;
}
