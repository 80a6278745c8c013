'use strict';

const validate = require('./validate');

const USERS = new Map([[1, { id: 1, name: 'ann' }]]);

function loadUser(id) {
  return validate.assertFound(USERS.get(id), `user ${id}`);
}

module.exports = { loadUser };
