// Laurel's shared UI components. Import from here: `import { Button, Card } from '#lib/ui/index.ts';`
export { default as Alert } from './Alert.svelte';
export { default as Button } from './Button.svelte';
export { default as Card } from './Card.svelte';
export { default as CheckboxGroup, type CheckboxOption } from './CheckboxGroup.svelte';
export { default as ConfirmDisclosure } from './ConfirmDisclosure.svelte';
export { default as CopyBox } from './CopyBox.svelte';
export { default as DescriptionList, type DescriptionItem } from './DescriptionList.svelte';
export { default as EmptyState } from './EmptyState.svelte';
export { default as Form } from './Form.svelte';
export { default as FormField, type FieldOption } from './FormField.svelte';
export { default as Icon, type IconName } from './Icon.svelte';
export { default as LocalTime } from './LocalTime.svelte';
export { default as PageHeader } from './PageHeader.svelte';
export { default as Spinner } from './Spinner.svelte';
export { default as StatusBadge, type StatusTone } from './StatusBadge.svelte';
export { default as Table, type TableColumn } from './Table.svelte';
export { default as LoadError } from './LoadError.svelte';
