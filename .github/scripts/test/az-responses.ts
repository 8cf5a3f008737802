import type { RecordedResponse } from './fake-cli';

/** What az answers in the deploy commands' tests (the recorded outputs their fake az replays). */
// What az prints when Flex Consumption's upload to the deployment container is refused (the app's
// identity has no effective Storage Blob Data role yet): Azure/azure-functions-core-tools#4346.
export const UPLOAD_403: RecordedResponse = {
  code: 1,
  stderr:
    'ERROR: Failed to upload because Azure Storage responded with Forbidden : Response status code does not indicate success: 403 (This request is not authorized to perform this operation.).\n',
};
export const SITE_UNAVAILABLE: RecordedResponse = {
  code: 1,
  stderr: 'ERROR: Site Unavailable (CODE: 503)\n',
};
export const NOT_FOUND: RecordedResponse = {
  code: 3,
  stderr:
    "ERROR: (ResourceNotFound) The Resource 'Microsoft.Web/sites/func-missing' under resource group 'rg-harvey-dev' was not found.\n",
};
export const OK: RecordedResponse = { code: 0, stdout: '' };
