import type { Migration } from '@laurel/plugin-sdk';

/**
 * Post many entries in one round trip (a batch of earnings from an invoice import, say). Each entry is posted
 * exactly as `ledger_post` would, in order, inside the caller's transaction; the result lists each entry's
 * outcome. A refused entry (not enough points) does not stop the others.
 */
export const migration: Migration = {
  name: '0003_batch',
  up: `
    create function ledger_post_batch(p_program uuid, p_entries jsonb, p_actor jsonb) returns jsonb language plpgsql as $$
    declare
      v_out jsonb := '[]'::jsonb;
      e jsonb;
    begin
      for e in select value from jsonb_array_elements(p_entries) loop
        v_out := v_out || jsonb_build_array(ledger_post(
          p_program, e->>'key', e->>'hash', e->>'kind', e->'postings',
          coalesce(e->'explanation', '{}'::jsonb), p_actor, e->>'reason', (e->>'reverses')::bigint));
      end loop;
      return v_out;
    end $$;
  `,
};
