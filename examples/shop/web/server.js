'use strict';

const fs = require('fs');
const path = require('path');
const express = require('express');

const app = express();
const config = JSON.parse(fs.readFileSync(path.join(__dirname, 'config.json'), 'utf8'));

app.get('/terms', (req, res) => {
  const terms = fs.readFileSync(path.join(__dirname, 'terms.md'), 'utf8');
  res.type('text/markdown').send(terms);
});

app.get('/privacy', async (req, res) => {
  res.type('text/markdown').send(await fs.promises.readFile(path.join(__dirname, 'privacy.md'), 'utf8'));
});

module.exports = { app, config };
