import { describe, expect, it } from 'vitest';
import { isContactKey, looksLikePhone, storableTraits } from '../../../src/core/profiles/traits.ts';

describe('storableTraits: contact data is never kept', () => {
  it("drops the contact keys of Segment's identify spec", () => {
    const traits = {
      email: 'a@example.com',
      phone: '555',
      name: 'Jane Doe',
      firstName: 'Jane',
      lastName: 'Doe',
      username: 'jdoe',
      address: '1 Main St',
      birthday: '1990-01-01',
      avatar: 'https://example.com/me.png',
      website: 'https://jane.example.com',
      plan: 'gold',
    };
    expect(storableTraits(traits)).toEqual({ plan: 'gold' });
  });

  it('compares keys without case, separators or a leading $', () => {
    for (const key of [
      'first_name',
      'First Name',
      'FIRSTNAME',
      'first-name',
      '$first_name',
      'Last.Name',
      'E-Mail',
      'Phone Number',
      '$phone_number',
      'Email Address',
      'user_email',
      'mail',
      'Zip Code',
      'postal_code',
      'Street Address',
      'address_line_1',
      'Mobile Phone',
      'full_name',
    ]) {
      expect(isContactKey(key), key).toBe(true);
    }
    for (const key of ['plan', 'city', 'country', 'email_opt_in', 'loyalty_tier', 'favorite_color', 'company_size']) {
      expect(isContactKey(key), key).toBe(false);
    }
  });

  it('drops any value that is an email address, whatever its key', () => {
    expect(storableTraits({ contact: 'jane@example.com', backup: 'Jane Doe <jane.doe+shop@mail.example.co.uk>', kind: 'vip' })).toEqual({ kind: 'vip' });
  });

  it('drops any value that is a phone number, whatever its key', () => {
    const phones = ['+1 555 010 9999', '+447946095800', '(555) 010-9999', '555-010-9999', '555.010.9999', '020 7946 0958', '06 12 34 56 78', '+33 (0)6 12 34 56 78'];
    for (const phone of phones) {
      expect(looksLikePhone(phone), phone).toBe(true);
      expect(storableTraits({ reach_me: phone }), phone).toEqual({});
    }
  });

  it('keeps ids, dates, prices and short numbers that only look numeric', () => {
    const kept = { customer_no: '7234567890123', signup: '2024-01-15', signup_eu: '15.01.2024', spent: '129.90', zip_prefix: '94', tier: 3, size: '42' };
    for (const value of Object.values(kept)) if (typeof value === 'string') expect(looksLikePhone(value), value).toBe(false);
    expect(storableTraits(kept)).toEqual(kept);
  });

  it('keeps nothing nested: an address object, a list, a company', () => {
    const traits = {
      address: { street: '1 Main St', city: 'Springfield' },
      shipping: { street: '2 Side St', phone: '+1 555 010 0000' },
      emails: ['a@example.com'],
      company: { name: 'ACME', id: 'c-1' },
      plan: 'gold',
    };
    expect(storableTraits(traits)).toEqual({ plan: 'gold' });
  });

  it('keeps strings, numbers, booleans and null, cutting long strings to 200 characters', () => {
    expect(storableTraits({ a: 'x'.repeat(300), b: 2, c: false, d: null, e: Number.NaN })).toEqual({ a: 'x'.repeat(200), b: 2, c: false, d: null });
  });
});
