/** htm bound to Preact's `h`: tagged templates instead of a JSX build step. */
import htm from 'htm';
import { h, type VNode } from 'preact';

export const html = htm.bind(h) as (strings: TemplateStringsArray, ...values: unknown[]) => VNode;
