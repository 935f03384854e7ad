// plotly.js's core (scatter and the components) with the two other traces the dashboard draws
// for a study of one or two objectives: bar (importance) and contour
var Plotly = require('plotly.js/lib/core');

Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/contour')]);

module.exports = Plotly;
