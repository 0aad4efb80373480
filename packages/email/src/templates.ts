import type { FeedEvent } from '@wallet/events';

/** The languages notification emails are written in. */
export const locales = ['en', 'zh'] as const;
export type Locale = (typeof locales)[number];

/** A notification email as queued: every attempt sends these same parts. */
export type RenderedEmail = { readonly subject: string; readonly text: string; readonly html: string };

type Data = Record<string, unknown>;
type Strings = {
  readonly brand: string;
  readonly title: (type: string, d: Data) => string;
  readonly event: string;
  readonly sequence: string;
  readonly occurred: string;
  readonly footer: (email: string) => string;
};

const str = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return v.toString();
  return JSON.stringify(v);
};
const amount = (d: Data): string => `${str(d['amount'])} ${str(d['asset'])}`.trim();

const withdrawalEn: Record<string, string> = {
  pending_review: 'requested',
  approved: 'approved',
  signed: 'signed',
  broadcast: 'broadcast',
  confirmed: 'confirmed',
  failed: 'failed',
  rejected: 'rejected',
  cancelled: 'cancelled',
};
const withdrawalZh: Record<string, string> = {
  pending_review: '已提交，待审核',
  approved: '已批准',
  signed: '已签名',
  broadcast: '已广播',
  confirmed: '已确认',
  failed: '失败',
  rejected: '已拒绝',
  cancelled: '已取消',
};

const strings: Record<Locale, Strings> = {
  en: {
    brand: 'Wallet',
    title: (type, d) => {
      const [resource, what] = type.split('.') as [string, string];
      if (resource === 'deposit') {
        const verb = { seen: 'seen', credited: 'credited', orphaned: 'orphaned (its block left the chain)', reversed: 'reversed' }[what];
        return `Deposit ${verb ?? what}: ${amount(d)}`;
      }
      if (resource === 'withdrawal') return `Withdrawal ${withdrawalEn[what] ?? what}: ${amount(d)} to ${str(d['to'])}`;
      if (type === 'transfer.completed') return `Transfer completed: ${amount(d)}`;
      if (type === 'webhook.disabled') return `Webhook disabled after failing: ${str(d['url'])}`;
      if (resource === 'payment_request') {
        const verb = {
          created: 'created',
          partially_paid: 'partially paid',
          paid: 'paid',
          overpaid: 'overpaid',
          expired: 'expired',
          late_payment: 'paid after it expired',
          payment_reversed: 'payment reversed',
        }[what];
        return `Payment request ${verb ?? what}: ${str(d['received'])} of ${amount(d)}`;
      }
      if (resource === 'red_packet') {
        const verb = { created: 'sent', claimed: 'claimed', exhausted: 'all claimed', expired: 'expired' }[what];
        return `Red packet ${verb ?? what}: ${str(d['claimedAmount'])} of ${str(d['total'])} ${str(d['asset'])}`;
      }
      return type;
    },
    event: 'Event',
    sequence: 'Feed sequence',
    occurred: 'At',
    footer: (email) =>
      `You receive this because ${email} is a notification address of your exchange's wallet account. ` +
      'Change its event types or remove it with the /v1/email-recipients API.',
  },
  zh: {
    brand: '钱包',
    title: (type, d) => {
      const [resource, what] = type.split('.') as [string, string];
      if (resource === 'deposit') {
        const verb = { seen: '已发现', credited: '已入账', orphaned: '已失效（所在区块被重组）', reversed: '已冲正' }[what];
        return `充值${verb ?? what}：${amount(d)}`;
      }
      if (resource === 'withdrawal') return `提现${withdrawalZh[what] ?? what}：${amount(d)}，至 ${str(d['to'])}`;
      if (type === 'transfer.completed') return `内部转账已完成：${amount(d)}`;
      if (type === 'webhook.disabled') return `Webhook 因持续失败已停用：${str(d['url'])}`;
      if (resource === 'payment_request') {
        const verb = {
          created: '已创建',
          partially_paid: '部分付款',
          paid: '已付清',
          overpaid: '超额付款',
          expired: '已过期',
          late_payment: '过期后收到付款',
          payment_reversed: '付款已冲正',
        }[what];
        return `收款请求${verb ?? what}：已收 ${str(d['received'])}，应收 ${amount(d)}`;
      }
      if (resource === 'red_packet') {
        const verb = { created: '已发出', claimed: '被领取', exhausted: '已领完', expired: '已过期' }[what];
        return `红包${verb ?? what}：已领 ${str(d['claimedAmount'])}，共 ${str(d['total'])} ${str(d['asset'])}`;
      }
      return type;
    },
    event: '事件',
    sequence: '事件序号',
    occurred: '时间',
    footer: (email) =>
      `您收到此邮件，是因为 ${email} 是贵交易所钱包账户的通知地址。可通过 /v1/email-recipients 接口修改其事件类型或删除它。`,
  },
};

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Keeps a subject on one line and within the column (300 characters). */
const oneLine = (s: string): string => s.replace(/[\r\n\t]+/g, ' ').slice(0, 290);

/**
 * The email for one event of the feed, in `locale`: a subject saying what happened, then the same facts as a plain
 * text part and an HTML part (every value from the event escaped): the resource's fields as the feed gives them, the
 * event's id, sequence and time, and why the address gets it.
 */
export function renderEmail(event: FeedEvent, locale: Locale, email: string): RenderedEmail {
  const s = strings[locale];
  const data = JSON.parse(event.data) as Data;
  const title = oneLine(s.title(event.type, data));
  const fields: [string, string][] = [
    ...Object.entries(data).map(([k, v]): [string, string] => [k, str(v)]),
    [s.event, `${event.type} (${event.id})`],
    [s.sequence, String(event.seq)],
    [s.occurred, event.occurredAt.toISOString()],
  ];
  const width = Math.max(...fields.map(([k]) => k.length));
  const text = [title, '', ...fields.map(([k, v]) => `${k.padEnd(width)}  ${v}`), '', '-- ', s.footer(email), ''].join('\n');
  const rows = fields
    .map(([k, v]) => `<tr><th align="left" style="padding:2px 12px 2px 0">${escapeHtml(k)}</th><td><code>${escapeHtml(v)}</code></td></tr>`)
    .join('');
  const html =
    `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
    `<body style="font-family:sans-serif"><h2>${escapeHtml(title)}</h2><table>${rows}</table>` +
    `<p style="color:#666;font-size:12px">${escapeHtml(s.footer(email))}</p></body></html>`;
  return { subject: `[${s.brand}] ${title}`, text, html };
}
