/**
 * The HTML a marketer pastes into an ESP template: the live image wrapped in
 * its click link, with that ESP's merge tags for the subscriber id (the same
 * id your shop sends as `userId`) and the message id. Ids are URL-encoded by
 * the ESP's own filter where it has one.
 */
export const ESPS = ['klaviyo', 'mailchimp', 'braze', 'sfmc', 'hubspot', 'customerio', 'iterable'] as const;
export type Esp = (typeof ESPS)[number];

interface MergeTags {
  label: string;
  subscriber: string;
  message: string;
  note: string;
  /** The merge tag of a profile field holding the subscriber token (from `opentime tokens`). */
  token: string;
  /**
   * How this ESP proves the subscriber in the template itself, when it can
   * (Braze computes the HMAC, SFMC issues a JWT): the query to add.
   */
  inTemplate?: (keyId: string) => string;
}

export const MERGE_TAGS: Record<Esp, MergeTags> = {
  klaviyo: {
    label: 'Klaviyo',
    subscriber: "{{ person|lookup:'customer_id'|urlencode }}",
    message: 'your-campaign-name',
    note: 'customer_id is the profile property that holds the id your shop sends as userId.',
    token: "{{ person|lookup:'opentime_token' }}",
  },
  mailchimp: {
    label: 'Mailchimp',
    subscriber: '*|URL:CUSTOMER_ID|*',
    message: '*|CAMPAIGN_UID|*',
    note: 'CUSTOMER_ID is an audience merge field holding the id your shop sends as userId; *|URL:…|* URL-encodes it.',
    token: '*|OT_TOKEN|*',
  },
  braze: {
    label: 'Braze',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Braze's Liquid names its attributes ${user_id}; this is the ESP's merge tag, not a JavaScript template.
    subscriber: '{{${user_id} | url_param_escape}}',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Braze's merge tag.
    message: '{{campaign.${dispatch_id}}}',
    note: 'user_id is the Braze external id; url_param_escape also escapes & and +.',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Braze's merge tag.
    token: '{{custom_attribute.${opentime_token}}}',
    // Braze's hmac_sha256_base64 is the subscriber token, untruncated; the key stays in Braze's template.
    inTemplate: (keyId) => `k=${keyId}&amp;t={{\${user_id} | hmac_sha256_base64: 'YOUR_SIGNING_KEY' | url_param_escape}}`,
  },
  sfmc: {
    label: 'Salesforce Marketing Cloud',
    subscriber: '%%=URLEncode(_subscriberkey, 1, 1)=%%',
    message: '%%jobid%%',
    note: 'Use the subscriber key that matches your shop’s userId; URLEncode(…, 1, 1) encodes every character that needs it.',
    token: '%%=URLEncode(opentime_token, 1, 1)=%%',
    // SFMC cannot compute an HMAC, but GetJWTByKeyName signs a JWT with a key kept in Key Management.
    // Char(34) is a double quote, so the AMPscript needs none inside the HTML attribute.
    inTemplate: (keyId) => `k=${keyId}&amp;jwt=%%=GetJWTByKeyName('opentime','HS256',Concat('{',Char(34),'u',Char(34),':',Char(34),_subscriberkey,Char(34),'}'))=%%`,
  },
  hubspot: {
    label: 'HubSpot',
    subscriber: '{{ contact.customer_id|urlencode }}',
    message: 'your-campaign-name',
    note: 'customer_id is a contact property holding the id your shop sends as userId.',
    token: '{{ contact.opentime_token }}',
  },
  customerio: {
    label: 'Customer.io',
    subscriber: '{{ customer.id | url_encode }}',
    message: '{{ campaign.id }}',
    note: 'customer.id is the Customer.io id of the person, the id your shop sends as userId; url_encode encodes it for the URL.',
    token: '{{ customer.opentime_token }}',
  },
  iterable: {
    label: 'Iterable',
    subscriber: '{{#urlEncode}}{{userId}}{{/urlEncode}}',
    message: '{{campaignId}}',
    note: 'userId is the Iterable user id; use the same id in your events.',
    token: '{{opentime_token}}',
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
  /**
   * Proof of the subscriber for blocks that require it: `token` (a profile
   * field loaded from `opentime tokens`) or `template` (computed in the ESP's
   * template, where the ESP can).
   */
  signing?: { mode: 'token' | 'template'; keyId: string };
  /** The query as it goes into attributes, instead of the ESP's merge tags. */
  query?: string;
}

export function escapeAttr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The query every opentime URL of a snippet carries, with the ESP's merge tags, as it goes into an HTML attribute (`&amp;`). */
export function espQuery(esp: Esp, signing?: SnippetOptions['signing']): string {
  const tags = MERGE_TAGS[esp];
  let query = `u=${tags.subscriber}&amp;m=${tags.message}`;
  if (signing) {
    const inTemplate = signing.mode === 'template' ? tags.inTemplate : undefined;
    query += `&amp;${inTemplate ? inTemplate(signing.keyId) : `k=${signing.keyId}&amp;t=${tags.token}`}`;
  }
  return query;
}

/** The `<a><img></a>` for one ESP, following the usual email-image rules (width set, display block, no border). */
export function espSnippet(esp: Esp, options: SnippetOptions): string {
  const query = options.query ?? espQuery(esp, options.signing);
  const base = options.origin.replace(/\/+$/, '');
  return [
    `<a href="${base}/c/${options.blockId}/${options.slot ?? 0}?${query}">`,
    `  <img src="${base}/i/${options.blockId}.${options.extension ?? 'png'}?${query}"`,
    `       width="${options.width}" height="${options.height}" alt="${escapeAttr(options.alt)}"`,
    `       style="display:block;width:100%;max-width:${options.width}px;height:auto;border:0">`,
    `</a>`,
  ].join('\n');
}
