export { startEmbeddedPostgres } from './embedded-postgres.ts';
export type { EmbeddedPostgresHandle } from './embedded-postgres.ts';
