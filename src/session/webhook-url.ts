/** Why the webhook URL in `envName` cannot be used, if it cannot. */
export function webhookUrlProblem(url: string | undefined, envName: string): string | undefined {
  if (!url) return `${envName} is not set`;
  try {
    const u = new URL(url);
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return `${envName} is not an http(s) URL`;
  } catch {
    return `${envName} is not a URL`;
  }
  return undefined;
}
