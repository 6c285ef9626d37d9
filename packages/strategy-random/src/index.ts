export { randomOrder, random } from './random-order.js'
