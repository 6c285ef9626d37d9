export { sequential } from './sequential.js'
