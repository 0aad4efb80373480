// One copy, in the test kit (the packages' unit tests use it too).
export { freePort } from '@wallet/testkit';
