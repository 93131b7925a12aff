import { z } from 'zod';

// Assessment templates are data: a code, the specialization, a zod schema for the structured
// findings, and how to score them. Adding one is adding an entry to this list.

export interface AssessmentTemplate {
  code: string;
  name: string;
  specialization: 'slp' | 'ot' | 'pt';
  /** What `data` looks like, for `roshni assess templates` and error messages. */
  example: unknown;
  schema: z.ZodType;
  /** Scores derived from valid data (stored beside it). */
  score(data: unknown): Record<string, number>;
}

const percent = z.number({ error: 'must be a number from 0 to 100' }).min(0, 'must be from 0 to 100').max(100, 'must be from 0 to 100');
const SENSORY = ['much_less', 'less', 'just_like', 'more', 'much_more'] as const;
const sensoryBand = z.enum(SENSORY, { error: `must be one of ${SENSORY.join(', ')}` });
const degrees = z.number({ error: 'must be a number of degrees' }).min(0, 'must be from 0 to 360 degrees').max(360, 'must be from 0 to 360 degrees');

export const ASSESSMENT_TEMPLATES: readonly AssessmentTemplate[] = [
  {
    code: 'slp-articulation-screen',
    name: 'Speech: articulation screen',
    specialization: 'slp',
    example: {
      sounds: [
        { sound: 's', position: 'initial', correct: false },
        { sound: 'p', position: 'initial', correct: true },
      ],
      intelligibilityPercent: 70,
      stimulable: ['s'],
    },
    schema: z.strictObject({
      sounds: z
        .array(
          z.strictObject({
            sound: z.string({ error: 'must be the sound tested, e.g. "s"' }).trim().min(1, 'must be the sound tested, e.g. "s"').max(8),
            position: z.enum(['initial', 'medial', 'final'], { error: 'must be one of initial, medial, final' }),
            correct: z.boolean({ error: 'must be true or false' }),
          }),
          { error: 'must be a list of sounds tested' },
        )
        .min(1, 'must list at least one sound tested'),
      intelligibilityPercent: percent,
      stimulable: z.array(z.string().trim().min(1)).default([]),
      notes: z.string().trim().max(2000).optional(),
    }),
    score: (data: { sounds: Array<{ correct: boolean }>; intelligibilityPercent: number }) => ({
      percentCorrect: Math.round((100 * data.sounds.filter((s) => s.correct).length) / data.sounds.length),
      intelligibilityPercent: data.intelligibilityPercent,
    }),
  },
  {
    code: 'ot-sensory-profile-summary',
    name: 'OT: sensory profile summary (quadrants)',
    specialization: 'ot',
    example: { seeking: 'more', avoiding: 'just_like', sensitivity: 'much_more', registration: 'less' },
    schema: z.strictObject({
      seeking: sensoryBand,
      avoiding: sensoryBand,
      sensitivity: sensoryBand,
      registration: sensoryBand,
      notes: z.string().trim().max(2000).optional(),
    }),
    score: (data: Record<'seeking' | 'avoiding' | 'sensitivity' | 'registration', (typeof SENSORY)[number]>) => ({
      // Quadrants away from "just like the majority of others".
      quadrantsOfConcern: (['seeking', 'avoiding', 'sensitivity', 'registration'] as const).filter((q) => data[q] !== 'just_like').length,
    }),
  },
  {
    code: 'pt-range-of-motion',
    name: 'Physio: range of motion table',
    specialization: 'pt',
    example: { joints: [{ joint: 'knee', side: 'left', movement: 'flexion', activeDegrees: 110, passiveDegrees: 120, normalDegrees: 135 }] },
    schema: z.strictObject({
      joints: z
        .array(
          z.strictObject({
            joint: z.string({ error: 'must name the joint, e.g. "knee"' }).trim().min(1, 'must name the joint, e.g. "knee"'),
            side: z.enum(['left', 'right', 'both'], { error: 'must be one of left, right, both' }),
            movement: z.string({ error: 'must name the movement, e.g. "flexion"' }).trim().min(1, 'must name the movement'),
            activeDegrees: degrees,
            passiveDegrees: degrees.optional(),
            normalDegrees: degrees.positive('must be more than 0 degrees').optional(),
          }),
          { error: 'must be a list of joints measured' },
        )
        .min(1, 'must list at least one joint measured'),
      notes: z.string().trim().max(2000).optional(),
    }),
    score: (data: { joints: Array<{ activeDegrees: number; normalDegrees?: number }> }): Record<string, number> => {
      const withNormal = data.joints.filter((j) => j.normalDegrees);
      return withNormal.length
        ? { percentOfNormal: Math.round((100 * withNormal.reduce((sum, j) => sum + j.activeDegrees / j.normalDegrees!, 0)) / withNormal.length) }
        : {};
    },
  },
];

export function findAssessmentTemplate(code: string): AssessmentTemplate | undefined {
  return ASSESSMENT_TEMPLATES.find((t) => t.code === code);
}

/** "sounds[0].position" from a zod path. */
export function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)), '');
}
