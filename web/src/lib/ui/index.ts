// Laurel's shared UI components. Import from here: `import { Button, Card } from '#lib/ui/index.ts';`
export { default as Alert } from './Alert.svelte';
export { default as Button } from './Button.svelte';
export { default as Card } from './Card.svelte';
export { default as Icon, type IconName } from './Icon.svelte';
export { default as LocalTime } from './LocalTime.svelte';
export { default as PageHeader } from './PageHeader.svelte';
export { default as Spinner } from './Spinner.svelte';
export { default as StatusBadge, type StatusTone } from './StatusBadge.svelte';
