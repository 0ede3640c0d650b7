/**
 * Declarative admin pages as the API sends them (GET /api/v1/system/admin-pages): the wire form of `AdminPage` in
 * @laurel/plugin-sdk (see docs/plugins.md, "Admin pages"). Texts are i18n keys of the plugin's namespace, resolved
 * with the strings that come with the pages; a plugin never sends HTML, and the app renders everything as text.
 */
export type ValueFormat = 'text' | 'number' | 'points' | 'percent' | 'date' | 'datetime' | 'money' | 'status' | 'code' | 'json' | 'count';
export type Tone = 'success' | 'danger' | 'warning' | 'info' | 'neutral';

export interface PluginValue {
	key: string;
	label: string;
	format?: ValueFormat;
	currencyKey?: string;
	statusLabels?: string;
	tones?: Record<string, Tone>;
}

export interface PluginColumn extends PluginValue {
	link?: 'detail';
	align?: 'start' | 'end';
}

export interface PluginAction {
	id: string;
	label: string;
	route: string;
	method?: 'POST' | 'PUT' | 'DELETE';
	body?: Record<string, string | number | boolean | null>;
	confirm: string;
	success?: string;
	tone?: 'default' | 'danger';
	when?: { key: string; in: (string | number | boolean | null)[] };
}

export interface PluginFormField {
	name: string;
	label: string;
	hint?: string;
	input?: 'text' | 'textarea' | 'integer' | 'number' | 'date' | 'select' | 'checkbox' | 'uuid';
	required?: boolean;
	options?: string[];
	optionLabels?: string;
	defaultValue?: string;
	maxLength?: number;
}

export interface PluginTableSection {
	kind: 'table';
	id: string;
	title?: string;
	route: string;
	items?: string;
	columns: PluginColumn[];
	rowKey?: string;
	paging?: { next: string; param: string };
	filters?: PluginFormField[];
	empty?: string;
	actions?: PluginAction[];
}

export interface PluginFormSection {
	kind: 'form';
	id: string;
	title?: string;
	description?: string;
	route: string;
	method?: 'POST' | 'PUT';
	fields?: PluginFormField[];
	submit: string;
	success: string;
}

export interface PluginUploadSection {
	kind: 'upload';
	id: string;
	title?: string;
	description?: string;
	route: string;
	fileField?: string;
	accept?: string;
	fields?: PluginFormField[];
	submit: string;
	result: { message: string; values?: PluginValue[]; detailKey?: string };
}

export type PluginSection = PluginTableSection | PluginFormSection | PluginUploadSection;

export type PluginDetailPart =
	| { kind: 'fields'; title?: string; values: PluginValue[] }
	| { kind: 'list'; title?: string; key: string; columns: PluginValue[]; empty?: string }
	| { kind: 'code'; title?: string; key?: string; route?: string; language?: 'xml' | 'json' | 'text' };

export interface PluginDetail {
	route: string;
	title: string;
	parts: PluginDetailPart[];
	actions?: PluginAction[];
}

export interface PluginPage {
	pluginId: string;
	id: string;
	nav: { label: string; icon?: string; permission: string; order?: number };
	title: string;
	description?: string;
	sections: PluginSection[];
	detail?: PluginDetail;
}

export interface PluginPages {
	pages: PluginPage[];
	/** Each plugin's strings in the person's language. */
	strings: Record<string, object>;
}
