export { DEFAULT_EMAIL_RETRY_MS, EmailNotifier, type EmailNotifierOptions } from './EmailNotifier.js';
export {
  type CreateRecipientInput,
  type EmailRecipient,
  MAX_RECIPIENTS,
  type UpdateRecipientInput,
  checkEmail,
  createRecipient,
  deleteRecipient,
  getRecipient,
  listRecipients,
  updateRecipient,
} from './recipients.js';
export { type Locale, type RenderedEmail, locales, renderEmail } from './templates.js';
