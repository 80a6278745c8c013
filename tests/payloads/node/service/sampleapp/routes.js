'use strict';

const { register } = require('./router');

register('/cart/items', (req) => req.body.items.length);
register('/orders', (req) => req.query.page.trim());
