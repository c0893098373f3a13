import { MIN_PASSWORD_LENGTH, passwordProblem } from '../../src/users/password-policy';

describe('password policy (NIST SP 800-63B)', () => {
  it.each([
    ['whitespace only', ' '.repeat(20), /only whitespace/],
    ['14 characters', 'a-fourteen-chr', /at least 15 characters/],
    ['a common password, whatever its case', 'BASEBALL'.padEnd(8), /at least 15/],
    ['a common long password', 'passwordpassword', /too common/],
    ['a common long password in another case, with spaces around', '  1QAZ2WSX3EDC4RFV  ', /too common/],
    ['one character repeated', 'a'.repeat(20), /too repetitive/],
    ['two characters alternating', 'ab'.repeat(10), /too repetitive/],
    ['a short word repeated', 'abcabcabcabcabc', /too repetitive/],
    ['digits repeated', '123412341234123', /too repetitive/],
    ['a short password padded with spaces', 'abc' + ' '.repeat(12), /at least 15 characters, not counting spaces/],
    ['a common password in full-width letters (NFKC)', 'ｐａｓｓｗｏｒｄｐａｓｓｗｏｒｄ', /too common/],
    ['longer than 256', 'x1'.repeat(129), /at most 256/],
    ['not a string', 123456789012345678, /must be a string/],
  ])('refuses %s', (_name, password, problem) => {
    expect(passwordProblem(password)).toMatch(problem);
  });

  it('accepts long passphrases without composition rules, counting code points', () => {
    expect(passwordProblem('correct horse battery staple')).toBeUndefined();
    expect(passwordProblem('alllowercaseletters')).toBeUndefined();
    // 15 emoji are 30 UTF-16 units but 15 characters: exactly the minimum.
    expect(passwordProblem('😀🐍🌲🚲🎲🧩🍋🎻🛶🪁🧭🪴🦉🐙🌵')).toBeUndefined();
    expect(passwordProblem('😀🐍🌲🚲🎲🧩🍋🎻🛶🪁🧭🪴🦉🐙')).toMatch(new RegExp(`at least ${MIN_PASSWORD_LENGTH}`));
  });
});
