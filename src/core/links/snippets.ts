/**
 * The HTML a marketer pastes into an ESP template: the live image wrapped in
 * its click link, with that ESP's merge tags for the subscriber id (the same
 * id your shop sends as `userId`) and the message id. Ids are URL-encoded by
 * the ESP's own filter where it has one.
 */
export const ESPS = ['klaviyo', 'mailchimp', 'braze', 'sfmc', 'hubspot', 'iterable'] as const;
export type Esp = (typeof ESPS)[number];

interface MergeTags {
  label: string;
  subscriber: string;
  message: string;
  note: string;
}

export const MERGE_TAGS: Record<Esp, MergeTags> = {
  klaviyo: {
    label: 'Klaviyo',
    subscriber: "{{ person|lookup:'customer_id'|urlencode }}",
    message: 'your-campaign-name',
    note: 'customer_id is the profile property that holds the id your shop sends as userId.',
  },
  mailchimp: {
    label: 'Mailchimp',
    subscriber: '*|URL:CUSTOMER_ID|*',
    message: '*|CAMPAIGN_UID|*',
    note: 'CUSTOMER_ID is an audience merge field holding the id your shop sends as userId; *|URL:…|* URL-encodes it.',
  },
  braze: {
    label: 'Braze',
    subscriber: '{{${user_id} | url_param_escape}}',
    message: '{{campaign.${dispatch_id}}}',
    note: 'user_id is the Braze external id; url_param_escape also escapes & and +.',
  },
  sfmc: {
    label: 'Salesforce Marketing Cloud',
    subscriber: '%%=URLEncode(_subscriberkey, 1, 1)=%%',
    message: '%%jobid%%',
    note: 'Use the subscriber key that matches your shop’s userId; URLEncode(…, 1, 1) encodes every character that needs it.',
  },
  hubspot: {
    label: 'HubSpot',
    subscriber: '{{ contact.customer_id|urlencode }}',
    message: 'your-campaign-name',
    note: 'customer_id is a contact property holding the id your shop sends as userId.',
  },
  iterable: {
    label: 'Iterable',
    subscriber: '{{#urlEncode}}{{userId}}{{/urlEncode}}',
    message: '{{campaignId}}',
    note: 'userId is the Iterable user id; use the same id in your events.',
  },
};

export interface SnippetOptions {
  origin: string;
  blockId: string;
  width: number;
  height: number;
  alt: string;
  /** Which slot the link goes to (a block image has one link). */
  slot?: number;
  /** gif for countdowns. */
  extension?: 'png' | 'gif';
}

function escapeAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The `<a><img></a>` for one ESP, following the usual email-image rules (width set, display block, no border). */
export function espSnippet(esp: Esp, options: SnippetOptions): string {
  const tags = MERGE_TAGS[esp];
  const query = `u=${tags.subscriber}&amp;m=${tags.message}`;
  const base = options.origin.replace(/\/+$/, '');
  return [
    `<a href="${base}/c/${options.blockId}/${options.slot ?? 0}?${query}">`,
    `  <img src="${base}/i/${options.blockId}.${options.extension ?? 'png'}?${query}"`,
    `       width="${options.width}" height="${options.height}" alt="${escapeAttr(options.alt)}"`,
    `       style="display:block;width:100%;max-width:${options.width}px;height:auto;border:0">`,
    `</a>`,
  ].join('\n');
}
