import type { Migration } from '@laurel/plugin-sdk';

/** A review may cover only some tracks of a program (the scheduled review of a track's own review date). */
export const migration: Migration = {
  name: '0002_review_tracks',
  up: `alter table tiers_review_job add column track_ids jsonb;`,
};
