// The words of the demo's past: what its session notes say and why its sessions were cancelled.

/** Session note wording per kind of session: a line of each picked at random. */
export const NOTES: Record<
  string,
  { objectives: string[]; activities: string[]; observations: string[]; progress: string[]; homework: string[]; next: string[] }
> = {
  'speech-therapy': {
    objectives: ['Target sounds in words and short phrases', 'Expand phrases during play', 'Listening and following instructions'],
    activities: [
      'Picture cards, sound bingo',
      'Pretend play with the kitchen set; modelling two-word phrases',
      'Storybook retell with picture prompts',
      'Barrier game with coloured blocks',
    ],
    observations: [
      'Attentive for most of the session',
      'Needed breaks after 20 minutes',
      'Self-corrected twice without prompting',
      'Shy at first, warmed up with play',
    ],
    progress: ['Accuracy up on last week', 'Steady; consolidating', 'Better carry-over into conversation', 'Fewer prompts needed'],
    homework: ['Five minutes of sound practice daily with the word list', 'Name pictures in the storybook at bedtime', 'Practise requests at mealtimes'],
    next: ['Move to sentence level', 'Continue at word level', 'Add a new target sound', 'Review with parent at the next session'],
  },
  'occupational-therapy': {
    objectives: ['Fine motor control for dressing', 'Pencil grip and shape copying', 'Sensory regulation before table work'],
    activities: [
      'Buttoning board, threading beads',
      'Theraputty, tracing shapes',
      'Swing and obstacle course, then table tasks',
      'Scissor skills along thick lines',
    ],
    observations: [
      'Settled quickly after movement breaks',
      'Grip tiring towards the end',
      'Good attention with visual schedule',
      'Frustrated with small buttons, persisted',
    ],
    progress: ['Faster than last week', 'More independent; fewer cues', 'Consistent tripod grip in most attempts', 'Steady'],
    homework: ['Practise buttons on the school shirt every morning', 'Playdough 10 minutes a day', 'Colouring inside lines, two pages a day'],
    next: ['Smaller buttons', 'Copy triangle and diamond', 'Introduce the handwriting programme', 'Continue the sensory diet'],
  },
  physiotherapy: {
    objectives: ['Range of motion and strength', 'Balance and walking', 'Pain relief and posture'],
    activities: [
      'Heel slides, quadriceps sets, static cycling',
      'Balance board, sit-to-stand practice',
      'Mobilisation, core strengthening',
      'Gait training with a stick',
    ],
    observations: ['Mild pain at end range, settled with ice', 'Good effort throughout', 'Needed rest between sets', 'Walking more confidently'],
    progress: ['Range improved by a few degrees', 'Less pain on stairs reported', 'Balance steadier', 'Steady'],
    homework: ['Home exercise sheet twice a day', 'Walk 15 minutes morning and evening', 'Ice after exercises; posture breaks at work'],
    next: ['Progress resistance', 'Add step-ups', 'Reduce to once a week if progress holds', 'Review the home programme'],
  },
  'initial-assessment': {
    objectives: ['Initial assessment and goal setting'],
    activities: ['History from the family, standardised screening, observation in play or movement'],
    observations: ['Findings shared with the family; goals agreed', 'Family keen to start; reports and school notes reviewed'],
    progress: ['Baseline recorded'],
    homework: ['Start the home programme handed over today'],
    next: ['Weekly sessions as agreed'],
  },
};

export const CANCEL_LATE = ['Child unwell since the morning', 'Family emergency', 'Stuck at work', 'Fever overnight'];
export const CANCEL_EARLY = ['Travelling for a family wedding', 'Exams at school this week', 'Out of town', 'Clashes with a doctor’s appointment'];
