/**
 * Slack's message markup turned into the plain text a person would read, before
 * the core sees it: user and channel mentions, special mentions, links and the
 * three HTML entities Slack escapes (https://api.slack.com/reference/surfaces/formatting).
 * Linear: every pattern is a bounded, non-nested character class.
 */
const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&' };

export function slackPlainText(text: string): string {
  return (
    text
      // <@U123> and <@U123|name>: the bot's own mention (or anyone's) carries no question.
      .replace(/<@[A-Z0-9]{1,30}(?:\|[^<>]{0,80})?>/g, ' ')
      // <#C123|general> -> #general
      .replace(/<#[A-Z0-9]{1,30}\|([^<>]{0,80})>/g, ' #$1 ')
      .replace(/<#[A-Z0-9]{1,30}>/g, ' ')
      // <!here>, <!channel>, <!subteam^S1|@team>, <!date^...|text>
      .replace(/<!date\^[^|<>]{0,200}\|([^<>]{0,200})>/g, ' $1 ')
      .replace(/<![^<>]{0,200}>/g, ' ')
      // <https://x|label> -> label; <https://x> -> the address
      .replace(/<((?:https?|mailto|ftp):[^|<>]{0,2000})\|([^<>]{0,300})>/gi, ' $2 ')
      .replace(/<((?:https?|mailto|ftp):[^|<>]{0,2000})>/gi, ' $1 ')
      .replace(/&(?:lt|gt|amp);/g, (m) => ENTITIES[m] ?? m)
      .replace(/[ \t]{2,}/g, ' ')
      .trim()
  );
}
