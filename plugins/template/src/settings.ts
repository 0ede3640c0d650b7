import { Type, type Static } from '@laurel/plugin-sdk';

/**
 * The plugin's settings: `plugins.template.options` in the configuration file, validated against this schema at
 * start-up (an invalid value stops the server with a message naming it) and handed to `setup` with defaults applied.
 */
export const Settings = Type.Object(
  {
    approvalFor: Type.Array(Type.Union([Type.Literal('thanks'), Type.Literal('great'), Type.Literal('outstanding')]), { default: ['outstanding'], description: 'Kudos of these levels wait for an approval before they earn' }),
    approvalDays: Type.Integer({ minimum: 1, maximum: 90, default: 7, description: 'Days an approval may take before the kudos expire' }),
    bannedWords: Type.Array(Type.String({ minLength: 1 }), { default: [], description: 'Messages containing one of these words are refused' }),
    approvers: Type.Array(
      Type.Object({ email: Type.String({ format: 'email', maxLength: 254 }), locale: Type.Union([Type.Literal('en'), Type.Literal('pl'), Type.Literal('ru')], { default: 'en' }) }, { additionalProperties: false }),
      { default: [], description: 'Who is mailed, in their language, when kudos wait for an approval' },
    ),
    reconcileEveryMinutes: Type.Integer({ minimum: 1, default: 60, description: 'How often the leaderboard is recounted from the kudos' }),
  },
  { additionalProperties: false },
);
export type Settings = Static<typeof Settings>;
