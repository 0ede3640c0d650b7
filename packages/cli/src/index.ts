export { startEmbeddedPostgres } from './embedded-postgres.ts';
export type { EmbeddedPostgresHandle } from './embedded-postgres.ts';
export { startMailCatcher } from './mail-catcher.ts';
export type { MailCatcher, MailCatcherOptions } from './mail-catcher.ts';
