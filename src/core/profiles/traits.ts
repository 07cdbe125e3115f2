import { PROFILE_LIMITS, type Profile } from './profile.ts';

/**
 * Which identify traits a profile keeps. opentime renders products, not
 * people, so contact data is never stored, whatever a sender calls it:
 *
 * 1. Contact keys of Segment's identify spec and their usual spellings
 *    (`email`, `phone`, `name`, `firstName`, `lastName`, `username`, `website`,
 *    `address`, `birthday`, …), compared without case, separators or a
 *    leading `$` (Klaviyo's `$email`): `first_name`, `First Name`,
 *    `FIRSTNAME` and `$first_name` are one key.
 * 2. Any value that is an email address or a phone number, whatever its
 *    key (`user_email`, `Email Address`, `mail`, `contact`).
 * 3. Objects and lists (an `address` object, `company`): only strings,
 *    numbers, booleans and null are kept, so nothing nested is stored.
 *
 * Still open: a name or street under a key not listed here, written as
 * plain words, cannot be told from any other text and is kept. The
 * `email` trait is read before this filter, hashed, for linking
 * (events/ingest.ts); it is never stored in clear.
 */

/** Canonical forms (lower case, letters and digits only). */
const CONTACT_KEYS = new Set([
  // Segment's identify spec.
  'email',
  'phone',
  'name',
  'firstname',
  'lastname',
  'username',
  'address',
  'birthday',
  'avatar',
  'website',
  // Their usual spellings elsewhere (Klaviyo, Mailchimp, HubSpot, forms).
  'emailaddress',
  'useremail',
  'mail',
  'phonenumber',
  'mobile',
  'mobilephone',
  'mobilenumber',
  'cellphone',
  'telephone',
  'tel',
  'fullname',
  'displayname',
  'givenname',
  'familyname',
  'surname',
  'middlename',
  'fname',
  'lname',
  'street',
  'streetaddress',
  'address1',
  'address2',
  'addressline1',
  'addressline2',
  'zip',
  'zipcode',
  'postcode',
  'postalcode',
  'dateofbirth',
  'dob',
  'password',
  'ip',
  'ipaddress',
]);

export function isContactKey(key: string): boolean {
  return CONTACT_KEYS.has(key.toLowerCase().replace(/[^a-z0-9]/g, ''));
}

/** An address anywhere in the text (`Jane <jane@example.com>` too). */
const EMAIL_IN_TEXT = /[^\s@<>"']+@[^\s@<>"']+\.[a-z]{2,}/i;
/** Only the characters phone numbers are written with. */
const PHONE_CHARS = /^\+?[\d\s().\-/]+$/;
/** Dates written with digits and separators are not phone numbers. */
const DATE = /^\d{4}[-./]\d{1,2}[-./]\d{1,2}$|^\d{1,2}[-./]\d{1,2}[-./]\d{2,4}$/;

/**
 * A phone number as people write one: 7 to 15 digits (E.164's most) with
 * a leading `+` or grouped by spaces, dashes, dots or brackets. A bare run
 * of digits with neither is left alone: it is far more often an id.
 */
export function looksLikePhone(value: string): boolean {
  const text = value.trim();
  if (!PHONE_CHARS.test(text) || DATE.test(text)) return false;
  const digits = text.replace(/\D/g, '').length;
  if (digits < 7 || digits > 15) return false;
  return text.startsWith('+') || /\d[\s().\-/]+\d/.test(text) || text.startsWith('(');
}

export function isContactValue(value: unknown): boolean {
  return typeof value === 'string' && (EMAIL_IN_TEXT.test(value) || looksLikePhone(value));
}

/** The traits a profile may keep, strings cut to PROFILE_LIMITS.traitChars. */
export function storableTraits(traits: Record<string, unknown>): Profile['traits'] {
  const kept: Profile['traits'] = {};
  for (const [key, value] of Object.entries(traits)) {
    if (key.length > 100 || isContactKey(key) || isContactValue(value)) continue;
    if (value === null || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) kept[key] = value;
    else if (typeof value === 'string') kept[key] = value.slice(0, PROFILE_LIMITS.traitChars);
  }
  return kept;
}
