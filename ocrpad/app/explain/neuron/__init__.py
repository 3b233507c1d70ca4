"""The neuron panel: click a cell of an enlarged feature map, see the arithmetic behind it."""
