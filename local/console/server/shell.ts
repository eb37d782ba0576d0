/**
 * `GET /console`: the HTML shell the browser app (local/console/app/) mounts into. It carries the
 * process's token in a meta tag, loads the bundle and the style sheet from this server and runs
 * nothing inline; its Content-Security-Policy allows scripts, styles and requests from this origin
 * only, so text the app renders can never run as script even if it were taken for markup.
 */
import { CONSOLE_APP_PATH, CONSOLE_STYLE_PATH, CONSOLE_TOKEN_META } from '../contract';

export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Text for an HTML attribute or element. */
export function htmlEscape(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

export function consoleShell(token: string, stateMachineName: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="${CONSOLE_TOKEN_META}" content="${htmlEscape(token)}">`,
    `<title>txconfirm console: ${htmlEscape(stateMachineName)}</title>`,
    // No favicon request (it would be a 404 outside the console).
    '<link rel="icon" href="data:,">',
    `<link rel="stylesheet" href="${CONSOLE_STYLE_PATH}">`,
    `<script type="module" src="${CONSOLE_APP_PATH}"></script>`,
    '</head>',
    '<body>',
    '<div id="app"><noscript>The txconfirm console needs JavaScript.</noscript></div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
