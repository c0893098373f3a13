// Node test environment that remembers whether a test or hook failed, so afterAll can
// print the PostgreSQL server log only when something went wrong.
const { TestEnvironment } = require('jest-environment-node');

class FailureAwareEnvironment extends TestEnvironment {
  async handleTestEvent(event) {
    if (event.name === 'test_fn_failure' || event.name === 'hook_failure') {
      this.global.__NESTFLUX_TEST_FAILED__ = true;
    }
  }
}

module.exports = FailureAwareEnvironment;
