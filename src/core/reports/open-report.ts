import { isHero, type Decision } from '../decide/decide.ts';

/** The variant a report files an open or click under: a hero's arm (`holdout` included), else its variant; `''` for other kinds. */
export function variantOf(decision: Decision | undefined): string {
  if (!decision || !isHero(decision)) return '';
  return decision.arm ?? decision.variant.id;
}

/** Why a person's open got the generic image: no `u=`, no valid signature, suppressed, or nothing known to personalise with. */
export async function genericWhy(hasSubject: boolean, mayPersonalise: boolean, subjectKey: () => Promise<string | undefined>): Promise<string> {
  if (!hasSubject) return 'generic:anonymous';
  if (!mayPersonalise) return 'generic:unsigned';
  return (await subjectKey()) === undefined ? 'generic:suppressed' : 'generic:no_profile';
}
